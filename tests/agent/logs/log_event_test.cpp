#include "agent/logs/log_event.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::logs {
namespace {

const log_source array{"array-01", "192.0.2.10", "XS5326", "QS1234567890"};

TEST(log_event, carries_the_line_and_its_source) {
  event e;
  make_log_event(e, array, device::log_entry{1795915304, "error", "Disk failed"}, 1);
  EXPECT_EQ(e.kind, event_kind::log);
  EXPECT_EQ(e.device, "array-01");
  EXPECT_EQ(e.host, "192.0.2.10");
  EXPECT_EQ(e.timestamp, 1795915304);
  EXPECT_EQ(e.type, "error");
  EXPECT_EQ(e.severity, severity::error);
  EXPECT_EQ(e.message, "Disk failed");
  EXPECT_EQ(e.model, "XS5326");
  EXPECT_EQ(e.serial, "QS1234567890");
}

// A log line's id is a contract with sinks, which deduplicate on it across agent versions.
TEST(log_event, id_is_the_known_answer_of_device_second_type_message_and_occurrence) {
  event e;
  make_log_event(e, array, device::log_entry{1795915304, "error", "Disk failed"}, 1);
  EXPECT_EQ(e.id, "44c05f0210abe2d0");
  make_log_event(e, array,
                 device::log_entry{1795915304, "access", "SSH login of 'müller' accepted."}, 2);
  EXPECT_EQ(e.id, "9073495b120e4500");
}

TEST(log_event, a_line_ahead_of_the_array_clock_is_flagged_and_keeps_its_id) {
  event e;
  const device::log_entry line{1795915304, "error", "Disk failed"};
  make_log_event(e, array, line, 1, true);
  EXPECT_EQ(e.flags, "clock_ahead");
  EXPECT_EQ(e.id, "44c05f0210abe2d0");  // the id is the line's, whatever the flag
  make_log_event(e, array, line, 1, false);
  EXPECT_EQ(e.flags, "");
  EXPECT_EQ(e.id, "44c05f0210abe2d0");
}

TEST(log_event, a_reused_event_is_the_same_as_a_fresh_one) {
  event reused;
  reused.kind = event_kind::health;
  reused.component = "disk";
  reused.component_id = "0:3";
  reused.attribute = "health";
  reused.previous = "Good";
  reused.current = "Failed";
  reused.message = std::string(500, 'x');
  reused.flags = "clock_ahead";
  const device::log_entry line{1795915305, "warning", "Fan 2 speed low"};
  make_log_event(reused, array, line, 3);
  event fresh;
  make_log_event(fresh, array, line, 3);
  EXPECT_EQ(reused, fresh);
  EXPECT_TRUE(fresh.component.empty());
}

}  // namespace
}  // namespace qsanfwd::logs
