// libFuzzer target: a queued event's JSON (event_from_json, both overloads), which every formatting sink reads
// back from the queue for each event it sends.
#include <optional>
#include <stdexcept>
#include <string>

#include "agent/core/event.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

/// The event, or the message of the std::invalid_argument it throws. Any other exception
/// escapes, and libFuzzer reports it as a crash.
struct outcome {
  std::optional<qsanfwd::event> e;
  std::string error;
};

template <typename Read>
outcome read(Read reader, std::string_view text) {
  try {
    return {reader(text), {}};
  } catch (const std::invalid_argument& err) {
    return {std::nullopt, err.what()};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto text = fuzz::as_text(data, size);
  const auto fast = read([](std::string_view t) { return event_from_json(t); }, text);
  // The overload reading into a kept event (as a sink's batch does) must read the same event,
  // whatever the previous input left in it.
  static event kept;
  const auto into = read(
      [](std::string_view t) {
        event_from_json(t, kept);
        return kept;
      },
      text);
  fuzz::check(into.e == fast.e && into.error == fast.error,
              "event_from_json into a kept event differs from a fresh read");
  // The streaming reader must answer exactly as the DOM reader does, errors included.
  const auto dom = read(detail::event_from_json_dom, text);
  if (fast.e.has_value() != dom.e.has_value()) {
    fuzz::violated("event_from_json and the DOM reader disagree on success",
                   fast.e ? dom.error : fast.error);
  }
  if (!dom.e) {
    fuzz::check(fast.error == dom.error, "event_from_json and the DOM reader fail differently",
                fast.error);
    return 0;
  }
  fuzz::check(*fast.e == *dom.e, "event_from_json and the DOM reader read different events");
  // to_json writes a canonical form (fields in contract order, previous and current only for
  // health events): reading it back and writing it again must give the same text.
  const auto canonical = to_json(*fast.e);
  fuzz::check(fuzz::is_utf8(canonical), "to_json wrote invalid UTF-8", canonical);
  fuzz::check(to_json(event_from_json(canonical)) == canonical,
              "to_json of an event read back from to_json differs", canonical);
  return 0;
}
