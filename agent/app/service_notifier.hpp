#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string_view>

#include "agent/core/duration.hpp"

namespace qsanfwd::app {

/// Tells the service manager how the agent is doing (systemd `Type=notify`): ready once the
/// pipeline runs, reloading, stopping, and a watchdog ping from the event loop itself, so a hung
/// loop stops the pings and systemd restarts the agent. Without NOTIFY_SOCKET every call does
/// nothing.
class service_notifier {
 public:
  explicit service_notifier(boost::asio::io_context& io);

  void ready(std::string_view status);
  void reloading();
  void stopping();

  /// The watchdog interval systemd asked for (WatchdogSec), zero when it asked for none.
  duration watchdog_interval() const { return watchdog_; }

 private:
  void ping_later();

  boost::asio::steady_timer timer_;
  duration watchdog_{0};
};

}  // namespace qsanfwd::app
