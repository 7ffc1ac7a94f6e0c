#include "agent/app/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace qsanfwd::app {

service_notifier::service_notifier(boost::asio::io_context& io) : timer_(io) {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::duration_cast<duration>(std::chrono::microseconds(usec));
    // Half the interval, as sd_watchdog_enabled(3) advises, so one late ping is not fatal.
    ping_later();
  }
}

void service_notifier::ready(std::string_view status) {
  const auto text = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, text.c_str());
}

void service_notifier::reloading() {
  sd_notify(0, "RELOADING=1");
}

void service_notifier::stopping() {
  sd_notify(0, "STOPPING=1");
}

void service_notifier::ping_later() {
  timer_.expires_after(watchdog_ / 2);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) {
      return;
    }
    sd_notify(0, "WATCHDOG=1");
    ping_later();
  });
}

}  // namespace qsanfwd::app
