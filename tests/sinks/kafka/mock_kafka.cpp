#include "mock_kafka.hpp"

#include <array>
#include <memory>
#include <stdexcept>

namespace qsanfwd::test {
namespace {

using conf_ptr = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;

void set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  std::array<char, 256> err{};
  if (rd_kafka_conf_set(conf, key, value, err.data(), err.size()) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error(std::string(key) + ": " + err.data());
  }
}

rd_kafka_t* client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  std::array<char, 256> err{};
  rd_kafka_t* rk = rd_kafka_new(type, conf, err.data(), err.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + err.data());
  }
  return rk;
}

}  // namespace

mock_kafka::mock_kafka(int brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "log_level", "3");
  handle_ = client(RD_KAFKA_PRODUCER, conf);
  cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
  if (cluster_ == nullptr) {
    rd_kafka_destroy(handle_);
    throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  }
}

mock_kafka::~mock_kafka() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(handle_);
}

std::string mock_kafka::bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

void mock_kafka::create_topic(const std::string& topic, int partitions) {
  if (rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("cannot create topic " + topic);
  }
}

kafka_reader::kafka_reader(const std::string& bootstraps, const std::string& topic,
                           int partitions) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstraps.c_str());
  set(conf, "group.id", "qsanfwd-test");
  set(conf, "enable.auto.commit", "false");
  set(conf, "log_level", "3");
  rk_ = client(RD_KAFKA_CONSUMER, conf);
  const std::unique_ptr<rd_kafka_topic_partition_list_t,
                        decltype(&rd_kafka_topic_partition_list_destroy)>
      parts(rd_kafka_topic_partition_list_new(partitions), &rd_kafka_topic_partition_list_destroy);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk_, parts.get());
}

kafka_reader::~kafka_reader() {
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

namespace {

consumed read_message(const rd_kafka_message_t& m) {
  consumed c;
  c.partition = m.partition;
  c.offset = m.offset;
  if (m.key != nullptr) {
    c.key.assign(static_cast<const char*>(m.key), m.key_len);
  }
  c.value.assign(static_cast<const char*>(m.payload), m.len);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      c.headers[name].assign(static_cast<const char*>(value), size);
    }
  }
  return c;
}

}  // namespace

void kafka_reader::read(std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 50);
    if (m == nullptr) {
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      all_.push_back(read_message(*m));
    }
    rd_kafka_message_destroy(m);
  }
}

std::vector<consumed> consume(const std::string& bootstraps, const std::string& topic,
                              int partitions, std::size_t count,
                              std::chrono::milliseconds deadline) {
  kafka_reader reader(bootstraps, topic, partitions);
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (reader.all().size() < count && std::chrono::steady_clock::now() < until) {
    reader.read(std::chrono::milliseconds(50));
  }
  return reader.all();
}

}  // namespace qsanfwd::test
