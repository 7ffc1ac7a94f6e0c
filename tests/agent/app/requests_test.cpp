// Requests to the agent through its state directory: written whole, taken in order at start and
// as they arrive, and a file that is not a request named with why.
#include "agent/app/requests.hpp"

#include <gtest/gtest.h>

#include "tests/agent/pipeline/helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::app {
namespace {

using namespace std::chrono_literals;

TEST(requests, waiting_ones_are_taken_at_start_in_order_and_new_ones_as_they_arrive) {
  test::temp_dir dir;
  submit_request(dir.path(), {{"n", 1}});
  submit_request(dir.path(), {{"n", 2}});
  test::write_file(requests_dir(dir.path()) / "zz-broken.json", "{\"n\":");
  boost::asio::io_context io;
  std::vector<agent_request> taken;
  request_watch watch(io, dir.path(), [&](std::vector<agent_request> waiting) {
    for (auto& r : waiting) {
      std::filesystem::remove(r.file);
      taken.push_back(std::move(r));
    }
  });
  watch.start();
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0].body["n"], 1);
  EXPECT_EQ(taken[1].body["n"], 2);
  EXPECT_EQ(taken[2].error, "not a JSON object");
  EXPECT_EQ(taken[2].file.filename(), "zz-broken.json");
  submit_request(dir.path(), {{"n", 3}});
  ASSERT_TRUE(test::run_until(io, [&] { return taken.size() == 4; }, 5s));
  EXPECT_EQ(taken[3].body["n"], 3);
  EXPECT_TRUE(std::filesystem::is_empty(requests_dir(dir.path())));
}

}  // namespace
}  // namespace qsanfwd::app
