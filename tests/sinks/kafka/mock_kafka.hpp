#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qsanfwd::test {

/// librdkafka's mock cluster: brokers speaking the Kafka protocol on loopback ports the OS
/// picked, in this process, for as long as the object lives.
class mock_kafka {
 public:
  explicit mock_kafka(int brokers);
  ~mock_kafka();
  mock_kafka(const mock_kafka&) = delete;
  mock_kafka& operator=(const mock_kafka&) = delete;

  /// "host:port,host:port,..." for bootstrap.servers.
  std::string bootstraps() const;
  rd_kafka_mock_cluster_t* cluster() { return cluster_; }
  /// Creates `topic` with `partitions` partitions (one replica).
  void create_topic(const std::string& topic, int partitions);

 private:
  rd_kafka_t* handle_ = nullptr;  ///< the dummy client that owns the cluster
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

/// A message as a consumer read it back.
struct consumed {
  int partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

/// A plain librdkafka consumer of `topic`'s partitions 0..partitions-1, from the beginning.
class kafka_reader {
 public:
  kafka_reader(const std::string& bootstraps, const std::string& topic, int partitions);
  ~kafka_reader();
  kafka_reader(const kafka_reader&) = delete;
  kafka_reader& operator=(const kafka_reader&) = delete;

  /// Reads for `wait`, appending to all().
  void read(std::chrono::milliseconds wait = std::chrono::milliseconds(200));
  const std::vector<consumed>& all() const { return all_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::vector<consumed> all_;
};

/// Reads `topic`'s partitions 0..partitions-1 from the beginning until `count` messages came or
/// `deadline` passed (then it returns what it has), with a plain librdkafka consumer.
std::vector<consumed> consume(const std::string& bootstraps, const std::string& topic,
                              int partitions, std::size_t count,
                              std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace qsanfwd::test
