#include "sinks/kafka/kafka_sink.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mock_kafka.hpp"
#include "tests/support/capture_log.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::sinks {
namespace {

using namespace std::chrono_literals;

/// `n` events from `devices` arrays in turn, ids "e<first+i>".
std::vector<queued_event> events(int first, int n, int devices = 3, std::size_t message_size = 20) {
  std::vector<queued_event> out;
  for (int i = first; i < first + n; ++i) {
    event e;
    e.id = "e" + std::to_string(i);
    e.device = "array-" + std::to_string(i % devices);
    e.timestamp = 1'700'000'000 + i;
    e.message = std::string(message_size, 'm');
    out.emplace_back(i, to_json(e));
  }
  return out;
}

std::string id_of(const std::string& json) {
  return event_from_json(json).id;
}

/// Runs `work` on `io` until it completes: the sink keeps a wait on librdkafka's pipe armed
/// until close(), so the io_context never runs out of work by itself.
template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    done = true;
    if (!e) {
      out.emplace(std::move(value));
    }
  });
  io.restart();
  while (!done) {
    io.run_one();
  }
  if (error) {
    std::rethrow_exception(error);
  }
  return std::move(*out);
}

void close(boost::asio::io_context& io, kafka_sink& sink) {
  run(io, [&]() -> boost::asio::awaitable<bool> {
    co_await sink.close();
    co_return true;
  }());
}

class kafka_sink_test : public ::testing::Test {
 protected:
  /// A sink to the mock cluster, its client's own waits shortened to keep the tests quick.
  std::unique_ptr<kafka_sink> make(test::mock_kafka& cluster, kafka_options o = {}) {
    o.brokers = {cluster.bootstraps()};
    if (o.topic.text().empty()) {
      o.topic = event_template::parse("events");
    }
    o.librdkafka = {{"retry.backoff.ms", "10"},
                    {"reconnect.backoff.ms", "10"},
                    {"reconnect.backoff.max.ms", "100"},
                    {"socket.timeout.ms", "1000"},
                    {"log_level", "4"}};
    return std::make_unique<kafka_sink>("bus", std::move(o), config::batch_options{},
                                        io_.get_executor());
  }

  delivery deliver(kafka_sink& sink, const std::vector<queued_event>& batch) {
    return run(io_, sink.deliver(batch));
  }

  static std::size_t count(const delivery& d, outcome o) {
    return static_cast<std::size_t>(std::count(d.per_event.begin(), d.per_event.end(), o));
  }

  boost::asio::io_context io_;
};

TEST_F(kafka_sink_test, a_batch_arrives_once_per_id_in_order_per_partition_with_key_and_headers) {
  test::mock_kafka cluster(3);
  cluster.create_topic("events", 3);
  kafka_options o;
  o.timeout = duration{2000};
  auto sink = make(cluster, o);
  const auto batch = events(0, 60);
  const auto d = deliver(*sink, batch);
  ASSERT_EQ(d.per_event.size(), batch.size()) << d.reason;
  EXPECT_EQ(count(d, outcome::delivered), batch.size()) << d.reason;

  const auto got = test::consume(cluster.bootstraps(), "events", 3, batch.size());
  ASSERT_EQ(got.size(), batch.size());
  std::map<std::string, int> seen;
  std::map<std::string, int> partition_of;
  std::map<int, std::vector<std::string>> per_partition;
  for (const auto& m : got) {
    const auto e = event_from_json(m.value);
    ++seen[e.id];
    EXPECT_EQ(m.key, e.device);
    EXPECT_EQ(m.headers.at("id"), e.id);
    EXPECT_EQ(m.headers.at("device"), e.device);
    EXPECT_EQ(m.headers.at("kind"), "log");
    // One array's events share one partition.
    EXPECT_EQ(partition_of.emplace(e.device, m.partition).first->second, m.partition);
    per_partition[m.partition].push_back(e.id);
  }
  for (const auto& e : batch) {
    EXPECT_EQ(seen[id_of(e.body)], 1) << id_of(e.body);
  }
  // In queue order within each partition (the consumer reads each in offset order).
  for (const auto& [partition, ids] : per_partition) {
    std::vector<std::string> expected;
    for (const auto& e : batch) {
      const auto ev = event_from_json(e.body);
      if (partition_of[ev.device] == partition) {
        expected.push_back(ev.id);
      }
    }
    EXPECT_EQ(ids, expected) << "partition " << partition;
  }
}

TEST_F(kafka_sink_test, an_http_sink_format_encodes_each_message_alone) {
  test::mock_kafka cluster(1);
  cluster.create_topic("qsan.log", 1);
  kafka_options o;
  o.topic = event_template::parse("qsan.{kind}");
  o.canonical = false;
  o.encoding.format = http_format::splunk_hec;
  o.key = kafka_key::none;
  o.headers = false;
  auto sink = make(cluster, o);
  const auto batch = events(0, 3);
  ASSERT_EQ(count(deliver(*sink, batch), outcome::delivered), 3u);
  const auto got = test::consume(cluster.bootstraps(), "qsan.log", 1, 3);
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto hec = nlohmann::json::parse(got[i].value);
    EXPECT_EQ(hec.at("event").at("id"), id_of(batch[i].body));
    EXPECT_EQ(hec.at("sourcetype"), "qsan:event");
    EXPECT_TRUE(got[i].key.empty());
    EXPECT_TRUE(got[i].headers.empty());
  }
}

TEST_F(kafka_sink_test, a_broker_down_is_a_retry_and_once_up_the_batch_is_delivered) {
  test::mock_kafka cluster(1);
  cluster.create_topic("events", 1);
  kafka_options o;
  o.timeout = duration{800};
  auto sink = make(cluster, o);
  // The first batch also waits for the producer's id from the broker, which may take longer
  // than `timeout` on a loaded machine (or under ASan): retried as the dispatcher would.
  const auto first = events(0, 5);
  delivery went;
  ASSERT_TRUE(test::wait_until(
      [&] {
        went = deliver(*sink, first);
        return count(went, outcome::delivered) == first.size();
      },
      10s))
      << went.reason;

  rd_kafka_mock_broker_set_down(cluster.cluster(), 1);
  const auto batch = events(5, 20);
  const auto down = deliver(*sink, batch);
  EXPECT_EQ(down.per_event.front(), outcome::retry) << down.reason;
  EXPECT_EQ(count(down, outcome::rejected), 0u);
  EXPECT_FALSE(down.reason.empty());

  rd_kafka_mock_broker_set_up(cluster.cluster(), 1);
  delivery up;
  // The dispatcher's retry: the same batch again until it goes.
  ASSERT_TRUE(test::wait_until(
      [&] {
        up = deliver(*sink, batch);
        return count(up, outcome::delivered) == batch.size();
      },
      10s))
      << up.reason;

  const auto got = test::consume(cluster.bootstraps(), "events", 1, 25);
  std::set<std::string> ids;
  for (const auto& m : got) {
    ids.insert(id_of(m.value));
  }
  EXPECT_EQ(ids.size(), 25u);  // nothing lost; a retried message may be there twice
}

TEST_F(kafka_sink_test, a_message_over_the_limit_is_rejected_with_the_reason_and_the_rest_go) {
  test::mock_kafka cluster(1);
  cluster.create_topic("events", 1);
  kafka_options o;
  o.message_max_bytes = 2000;
  auto sink = make(cluster, o);
  auto batch = events(0, 5);
  batch[2] = events(2, 1, 3, 5000).front();
  const auto d = deliver(*sink, batch);
  ASSERT_EQ(d.per_event.size(), 5u);
  EXPECT_EQ(d.per_event[2], outcome::rejected);
  EXPECT_EQ(count(d, outcome::delivered), 4u);
  EXPECT_NE(d.reason.find("too large"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("topic events"), std::string::npos) << d.reason;

  const auto got = test::consume(cluster.bootstraps(), "events", 1, 4);
  ASSERT_EQ(got.size(), 4u);
  for (const auto& m : got) {
    EXPECT_NE(id_of(m.value), "e2");
  }
}

TEST_F(kafka_sink_test, a_leader_failover_mid_batch_loses_nothing) {
  test::mock_kafka cluster(3);
  cluster.create_topic("events", 1);
  rd_kafka_mock_partition_set_leader(cluster.cluster(), "events", 0, 1);
  auto sink = make(cluster);
  ASSERT_EQ(count(deliver(*sink, events(0, 10)), outcome::delivered), 10u);
  std::size_t delivered = 10;
  for (int round = 0; round < 3; ++round) {
    // Runs once the batch is produced, while deliver() waits for its reports.
    boost::asio::post(io_, [&cluster, round] {
      rd_kafka_mock_partition_set_leader(cluster.cluster(), "events", 0, 2 + round % 2);
    });
    const auto d = deliver(*sink, events(10 + round * 100, 100));
    if (count(d, outcome::delivered) != 100u) {
      // A retry is allowed; the dispatcher sends the batch again.
      const auto again = deliver(*sink, events(10 + round * 100, 100));
      EXPECT_EQ(count(again, outcome::delivered), 100u) << again.reason;
    }
    delivered += 100;
  }
  const auto got = test::consume(cluster.bootstraps(), "events", 1, delivered);
  std::set<std::string> ids;
  for (const auto& m : got) {
    ids.insert(id_of(m.value));
  }
  EXPECT_EQ(ids.size(), delivered);
}

TEST_F(kafka_sink_test, cancellation_purges_the_batch_and_a_later_one_is_still_delivered) {
  test::mock_kafka cluster(1);
  cluster.create_topic("events", 1);
  auto sink = make(cluster);
  rd_kafka_mock_broker_set_down(cluster.cluster(), 1);
  boost::asio::cancellation_signal cancel;
  std::exception_ptr error;
  bool finished = false;
  const auto batch = events(0, 5);
  boost::asio::co_spawn(io_, sink->deliver(batch),
                        boost::asio::bind_cancellation_slot(
                            cancel.slot(), [&](std::exception_ptr e, const delivery&) {
                              error = e;
                              finished = true;
                            }));
  boost::asio::post(io_, [&] { cancel.emit(boost::asio::cancellation_type::terminal); });
  while (!finished) {
    io_.run_one();
  }
  EXPECT_TRUE(finished);
  EXPECT_TRUE(error);

  rd_kafka_mock_broker_set_up(cluster.cluster(), 1);
  delivery d;
  ASSERT_TRUE(test::wait_until([&] {
    d = deliver(*sink, events(5, 5));
    return count(d, outcome::delivered) == 5u;
  })) << d.reason;
  close(io_, *sink);
}

TEST_F(kafka_sink_test, statistics_become_gauges_and_log_lines_reach_our_logger) {
  test::capture_log log;
  test::mock_kafka cluster(1);
  cluster.create_topic("events", 1);
  kafka_options o;
  o.statistics_interval = duration{100};
  auto sink = make(cluster, o);
  ASSERT_EQ(count(deliver(*sink, events(0, 5)), outcome::delivered), 5u);
  // Served on this thread, from the pipe, between deliveries too. A report taken while the
  // batch was in flight may come after it (a slow machine, ASan): the queue shows empty once a
  // report taken after the batch arrives.
  std::vector<sink_gauge> gauges;
  ASSERT_TRUE(test::wait_until([&] {
    io_.restart();
    io_.run_for(50ms);
    gauges = sink->gauges();
    return sink->stats().reports >= 2 && gauges.size() == 3 && gauges[0].value == 0;
  })) << (gauges.empty() ? -1.0 : gauges[0].value);
  EXPECT_EQ(gauges[0].name, "kafka_queue_messages");

  // A broker that goes away is logged by librdkafka, through our logger.
  rd_kafka_mock_broker_set_down(cluster.cluster(), 1);
  ASSERT_TRUE(test::wait_until([&] {
    io_.restart();
    io_.run_for(50ms);
    return log.text().find("librdkafka") != std::string::npos;
  })) << log.text();
  EXPECT_NE(log.text().find("sink.bus"), std::string::npos) << log.text();
}

// librdkafka 2.0.2's mock cluster answers no SaslHandshake, so SASL/PLAIN cannot succeed
// against it: what is checked is that the producer speaks SASL (the broker's refusal is logged),
// that the batch retries rather than going to the dead letter, and that the password is nowhere.
TEST_F(kafka_sink_test, sasl_plain_to_a_broker_without_sasl_retries_and_never_shows_the_password) {
  test::capture_log log;
  test::mock_kafka cluster(1);
  cluster.create_topic("events", 1);
  kafka_options o;
  o.timeout = duration{500};
  o.sasl = {"PLAIN", "qsan", secret("hunter2")};
  auto sink = make(cluster, o);
  const auto d = deliver(*sink, events(0, 5));
  EXPECT_EQ(count(d, outcome::retry), 5u) << d.reason;
  EXPECT_NE(log.text().find("SASL"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find("hunter2"), std::string::npos);
  EXPECT_EQ(d.reason.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::sinks
