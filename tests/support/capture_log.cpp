#include "tests/support/capture_log.hpp"

#include "agent/core/logging.hpp"

namespace qsanfwd::test {

class capture_log::sink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t out;
    formatter_->format(msg, out);
    text_.append(out.data(), out.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

capture_log::capture_log() : sink_(std::make_shared<sink>()), previous_level_(spdlog::get_level()) {
  add_log_sink(sink_);
  set_all_levels(spdlog::level::trace);
}

capture_log::~capture_log() {
  remove_log_sink(sink_);
  set_all_levels(previous_level_);
}

std::string capture_log::text() const {
  return sink_->text();
}

}  // namespace qsanfwd::test
