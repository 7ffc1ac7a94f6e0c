#include <algorithm>
#include <boost/asio/buffer.hpp>

#include "sim/simulator_impl.hpp"

// What the simulator injects: failed requests (fault) and hostile bodies (hostile.hpp says what
// each body is; this decides when one is sent).

namespace qsanfwd::sim {

std::string_view to_string(fault f) {
  switch (f) {
    case fault::status_500:
      return "500";
    case fault::status_503:
      return "503";
    case fault::delay:
      return "delay";
    case fault::truncate:
      return "truncate";
    case fault::reset:
      return "reset";
  }
  return "500";
}

std::optional<fault> parse_fault(std::string_view name) {
  for (auto f :
       {fault::status_500, fault::status_503, fault::delay, fault::truncate, fault::reset}) {
    if (to_string(f) == name) {
      return f;
    }
  }
  return std::nullopt;
}

std::optional<fault> simulator::impl::draw_fault() {
  if (!forced.empty()) {
    const auto f = forced.front().first;
    if (--forced.front().second == 0) {
      forced.pop_front();
    }
    return f;
  }
  const auto& s = faults;
  if (s.status_5xx + s.delay + s.truncate + s.reset <= 0) {
    return std::nullopt;
  }
  auto u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  if (u < s.status_5xx) {
    return u < s.status_5xx / 2 ? fault::status_500 : fault::status_503;
  }
  u -= s.status_5xx;
  for (const auto& [p, f] :
       {std::pair{s.delay, fault::delay}, std::pair{s.truncate, fault::truncate},
        std::pair{s.reset, fault::reset}}) {
    if (u < p) {
      return f;
    }
    u -= p;
  }
  return std::nullopt;
}

std::optional<hostile_body> simulator::impl::draw_body(std::string_view path) {
  for (std::size_t k = 0; k < hostile_body_count; ++k) {
    const auto kind = static_cast<hostile_body>(k);
    if (next_bodies[k] > 0 && hostile_body_applies(kind, path)) {
      --next_bodies[k];
      return kind;
    }
  }
  for (std::size_t k = 0; k < hostile_body_count; ++k) {
    const auto kind = static_cast<hostile_body>(k);
    const auto p = hostile.body_chance[k];
    // No draw for a chance of 0, so that seeds give the same faults as without this knob.
    if (p > 0 && hostile_body_applies(kind, path) &&
        std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p) {
      return kind;
    }
  }
  return std::nullopt;
}

void simulator::impl::make_hostile(reply& r, hostile_body body) const {
  switch (body) {
    case hostile_body::nested_timestamp:
      prepend_nested_line(r.body, hostile.nesting_depth);
      break;
    case hostile_body::huge_page:
      r.body = huge_log_page(hostile.huge_page_lines, now());
      break;
    case hostile_body::endless_chunked:
      r.body.clear();
      r.endless = true;
      break;
    case hostile_body::nested_health:
      insert_ignored_field(r.body, nested_array(hostile.nesting_depth));
      break;
    case hostile_body::health_junk:
      insert_ignored_field(r.body, junk_array(hostile.health_junk_mb << 20));
      break;
  }
}

/// The same chunk goes out again and again, so the endless answer costs the simulator little;
/// it ends when the client goes or stop() closes the connection.
boost::asio::awaitable<void> send_endless(const simulator::impl& self, net::server_stream& stream) {
  const auto head = endless_head(http_date(self.now()));
  const auto chunk = endless_chunk(self.now(), 64U * 1024U);
  auto ec = co_await stream.write(boost::asio::buffer(head));
  while (!ec) {
    ec = co_await stream.write(boost::asio::buffer(chunk));
  }
}

}  // namespace qsanfwd::sim
