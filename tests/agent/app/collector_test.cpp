// The collector: a device's log and health polls taking turns on one io_context.
#include "agent/app/collector.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <functional>

#include "sim/simulator.hpp"
#include "agent/store/event_queue.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::app {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(collector, polls_health_beside_the_log) {
  test::temp_dir dir;
  sim::running_simulator array(sim::options{});
  config::agent_config cfg;
  cfg.state_dir = dir.path();
  config::device_config d;
  d.name = "array-01";
  d.url = array.base_url();
  d.endpoint = *config::parse_url(d.url);
  d.username = "admin";
  d.password = secret("password");
  d.logs.interval = 1s;
  d.health.interval = 1s;
  cfg.devices.push_back(d);
  auto store = state_store::open(cfg.state_dir);
  event_queue queue(*store);
  asio::io_context io;
  collector agent(io, cfg, *store);
  agent.start();
  std::vector<event> health_events;
  std::int64_t seen = 0;
  // The collector runs on this thread: run it in slices until the condition holds or time is up.
  const auto run_until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(20ms);
      for (const auto& q : queue.read_after(seen, 1000)) {
        seen = q.seq;
        if (q.fields().kind == event_kind::health) {
          health_events.push_back(q.fields());
        }
      }
    }
    return done();
  };
  ASSERT_TRUE(run_until([&] { return !health_events.empty(); }));
  EXPECT_EQ(health_events[0].component, "inventory");
  array->fail_disk("e0d1");
  ASSERT_TRUE(run_until([&] { return health_events.size() == 2; }));
  EXPECT_EQ(health_events[1].component_id, "e0d1");
  agent.stop();
  io.run_for(1s);
}

}  // namespace
}  // namespace qsanfwd::app
