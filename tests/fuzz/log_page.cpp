// libFuzzer target: a page of /rest/v1/log/list (device::parse_log_page).
#include "agent/device/parse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto body = fuzz::as_text(data, size);
  // A small page size for half the inputs, so that pages holding too many lines come up often.
  const std::size_t page_size = size % 2 == 0 ? 1000 : 3;
  const auto page = device::parse_log_page(body, page_size);
  fuzz::check_failure_names(page, "/rest/v1/log/list");
  // The streaming readers must answer exactly as the DOM reader does, errors included.
  const auto dom = device::detail::parse_log_page_dom(body, page_size);
  if (page.ok() != dom.ok()) {
    fuzz::violated("parse_log_page and the DOM reader disagree on success",
                   page.ok() ? dom.error().message : page.error().message);
  }
  if (!dom.ok()) {
    fuzz::check(page.error().message == dom.error().message,
                "parse_log_page and the DOM reader fail differently", page.error().message);
    return 0;
  }
  fuzz::check(page->logs == dom->logs && page->total == dom->total &&
                  page->have_next_page == dom->have_next_page,
              "parse_log_page and the DOM reader read different pages");
  return 0;
}
