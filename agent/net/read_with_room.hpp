#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <cstddef>

namespace qsanfwd::net {

/// Reads one HTTP message into `parser` through `buffer`, which keeps no more room than it
/// needs between messages. Shared by the client connection and the server.
///
/// Beast reads at most what the buffer has room for, and never less than 512 bytes: with the
/// room left empty a 100 KB log page took ~200 recvmsg calls, and a 1 MB request body ~2,000.
/// The room is reserved only once the message has begun to arrive (its first read takes Beast's
/// 512 bytes): a fleet's log cycles send their requests together, and 2,000 connections each
/// waiting with 16 KiB reserved held 17 MiB (heaptrack), as do idle keep-alive connections of
/// the server. Afterwards the room is given back, as is one the size of an outsized message.
template <typename Stream, typename Parser>
boost::asio::awaitable<boost::system::error_code> read_with_room(Stream& stream,
                                                                 boost::beast::flat_buffer& buffer,
                                                                 Parser& parser) {
  constexpr std::size_t room_bytes = 16 * 1024;
  constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
  boost::system::error_code ec;
  if (buffer.size() == 0) {
    auto [first_ec, first_n] =
        co_await boost::beast::http::async_read_some(stream, buffer, parser, use_tuple);
    ec = first_ec;
  }
  if (!ec && !parser.is_done()) {
    buffer.reserve(room_bytes);
    auto [rest_ec, rest_n] =
        co_await boost::beast::http::async_read(stream, buffer, parser, use_tuple);
    ec = rest_ec;
  }
  if (buffer.size() == 0 || buffer.capacity() > 4 * room_bytes) {
    buffer.shrink_to_fit();
  }
  co_return ec;
}

}  // namespace qsanfwd::net
