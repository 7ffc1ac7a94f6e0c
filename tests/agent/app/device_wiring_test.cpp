// The store-backed token vault under the device client: the refresh token outlives the process.
#include "agent/app/device_wiring.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "agent/device/device_client.hpp"
#include "sim/simulator.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::app {
namespace {

using namespace std::chrono_literals;

device::client_settings settings_for(const sim::running_simulator& s) {
  config::device_config d;
  d.name = "array-01";
  d.url = s.base_url();
  d.endpoint = *config::parse_url(d.url);
  d.username = "admin";
  d.password = secret("password");
  d.timeout = 2s;
  return client_settings_for(d);
}

TEST(store_token_vault, six_restarts_use_one_refresh_token_slot) {
  sim::running_simulator array(sim::options{});
  boost::asio::io_context io;
  test::temp_dir dir;
  for (int restart = 0; restart < 6; ++restart) {
    auto store = state_store::open(dir.path());
    store_token_vault vault(*store);
    device::device_client client(io.get_executor(), settings_for(array), vault, nullptr);
    const device::log_query first_page{
        .start_time = 0, .types = {}, .page_number = 1, .page_size = 20};
    auto page = test::run(io, client.log_list(first_page));
    ASSERT_TRUE(page) << "restart " << restart << ": " << page.error().message;
  }
  const auto stats = array->stats();
  EXPECT_EQ(stats.offline_logins, 1U);
  EXPECT_EQ(stats.refreshes, 5U);
  EXPECT_EQ(stats.active_refresh_tokens, 1U);
}

}  // namespace
}  // namespace qsanfwd::app
