#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace qsanfwd::test {

/// Runs `work` on `io` until it completes and returns its value; rethrows what it threw.
template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) {
      out.emplace(std::move(value));
    }
  });
  io.restart();
  io.run();
  if (error) {
    std::rethrow_exception(error);
  }
  return std::move(*out);
}

}  // namespace qsanfwd::test
