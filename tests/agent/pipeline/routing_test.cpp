#include "agent/pipeline/routing.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace qsanfwd::pipeline {
namespace {

queued_event queued(std::int64_t seq, event_kind kind, severity level, std::string device) {
  event e;
  e.id = "id" + std::to_string(seq);
  e.kind = kind;
  e.device = std::move(device);
  e.timestamp = 1795915304;
  e.severity = level;
  e.message = "line " + std::to_string(seq);
  return {seq, to_json(e)};
}

/// seq 11..16: log info, health critical, log info, agent warning, health error, log info; the
/// devices alternate a-1, b-1.
std::vector<queued_event> mixed() {
  const std::pair<event_kind, severity> kinds[] = {
      {event_kind::log, severity::info},      {event_kind::health, severity::critical},
      {event_kind::log, severity::info},      {event_kind::agent, severity::warning},
      {event_kind::health, severity::error},  {event_kind::log, severity::info}};
  std::vector<queued_event> out;
  std::int64_t seq = 11;
  for (const auto& [k, s] : kinds) {
    out.push_back(queued(seq, k, s, seq % 2 == 1 ? "a-1" : "b-1"));
    ++seq;
  }
  return out;
}

std::vector<std::int64_t> seqs(const routed_batch& b) {
  std::vector<std::int64_t> out;
  for (const auto& e : b.send) {
    out.push_back(e.seq);
  }
  return out;
}

event_filter health_at_least_error() {
  event_filter f;
  f.match.push_back(event_rule{});
  f.match.back().kinds = {event_kind::health};
  f.match.back().at_least = severity::error;
  return f;
}

TEST(route_batch, without_rules_every_event_goes_as_queued) {
  const auto batch = mixed();
  const auto routed = route_batch(batch, "s", {}, {});
  ASSERT_EQ(routed.send.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(routed.send[i].body, batch[i].body);
    EXPECT_TRUE(routed.read[i].sent);
  }
}

TEST(route_batch, match_and_exclude_pick_events_in_queue_order) {
  auto f = health_at_least_error();
  EXPECT_EQ(seqs(route_batch(mixed(), "s", f, {})), (std::vector<std::int64_t>{12, 15}));
  f.exclude.push_back(event_rule{});
  f.exclude.back().devices = {"b-*"};
  EXPECT_EQ(seqs(route_batch(mixed(), "s", f, {})), (std::vector<std::int64_t>{15}));
  event_filter not_logs;
  not_logs.exclude.push_back(event_rule{});
  not_logs.exclude.back().kinds = {event_kind::log};
  not_logs.exclude.back().message = std::make_shared<const text_pattern>("^line 1[13]$");
  EXPECT_EQ(seqs(route_batch(mixed(), "s", not_logs, {})),
            (std::vector<std::int64_t>{12, 14, 15, 16}));
}

TEST(route_batch, shaping_adds_fields_and_renames_in_the_body_and_the_fields) {
  event_shape shape;
  shape.fields = {{"site", "ams-1"}, {"env", "prod"}};
  shape.devices["b-1"] = {{"site", "rtm-2"}};
  shape.rename = {{"message", "msg"}, {"fields.env", "environment"}};
  shape.drop = {"host"};
  const auto routed = route_batch(mixed(), "s", {}, shape);
  ASSERT_EQ(routed.send.size(), 6u);
  const auto& a = routed.send[0];
  EXPECT_EQ(a.fields().fields, (field_list{{"site", "ams-1"}, {"environment", "prod"}}));
  EXPECT_EQ(a.fields().message, "line 11");
  EXPECT_NE(a.body.find(R"("msg":"line 11","fields":{"site":"ams-1","environment":"prod"}})"),
            std::string::npos)
      << a.body;
  EXPECT_EQ(routed.send[1].fields().fields,
            (field_list{{"site", "rtm-2"}, {"environment", "prod"}}));
  EXPECT_EQ(routed.read[0].bytes, static_cast<std::int64_t>(mixed()[0].body.size()));
}

TEST(step_after, passes_filtered_events_around_the_settled_ones) {
  const auto batch = mixed();
  const auto routed = route_batch(batch, "s", health_at_least_error(), {});  // sends 12, 15
  const auto size = [&](std::size_t i) { return static_cast<std::int64_t>(batch[i].body.size()); };
  // Nothing settled yet: 11, before the first event sent, may pass.
  const auto none = step_after(routed, 0, 0, 10);
  EXPECT_EQ(none.through, 11);
  EXPECT_EQ(none.filtered, 1);
  EXPECT_EQ(none.delivered, 0);
  EXPECT_EQ(none.bytes, size(0));
  // 12 settled: through 14, the cursor at 11 already.
  const auto first = step_after(routed, 1, 0, 11);
  EXPECT_EQ(first.through, 14);
  EXPECT_EQ(first.delivered, 1);
  EXPECT_EQ(first.filtered, 2);
  EXPECT_EQ(first.bytes, size(1) + size(2) + size(3));
  // Both settled, one rejected: through the batch's end.
  const auto all = step_after(routed, 2, 1, 14);
  EXPECT_EQ(all.through, 16);
  EXPECT_EQ(all.delivered, 0);
  EXPECT_EQ(all.rejected, 1);
  EXPECT_EQ(all.filtered, 1);
}

TEST(step_after, a_batch_of_filtered_events_passes_whole) {
  event_filter nothing;
  nothing.match.push_back(event_rule{});
  nothing.match.back().components = {"no-such-component"};
  const auto routed = route_batch(mixed(), "s", nothing, {});
  EXPECT_TRUE(routed.send.empty());
  const auto step = step_after(routed, 0, 0, 10);
  EXPECT_EQ(step.through, 16);
  EXPECT_EQ(step.filtered, 6);
  EXPECT_EQ(step.delivered, 0);
}

TEST(step_after, events_a_drop_moved_the_cursor_past_are_not_counted_again) {
  const auto routed = route_batch(mixed(), "s", {}, {});
  const auto step = step_after(routed, 4, 3, 13);
  EXPECT_EQ(step.through, 14);
  EXPECT_EQ(step.rejected, 1);  // held within the one event passed
  EXPECT_EQ(step.delivered, 0);
  EXPECT_EQ(step.bytes, static_cast<std::int64_t>(mixed()[3].body.size()));
}

TEST(route_batch, an_event_for_one_sink_goes_to_it_alone_and_others_pass_it_unfiltered) {
  auto batch = mixed();
  batch[1].only_for = "archive";  // a replay for "archive"
  batch[4].only_for = "siem";
  const auto archive = route_batch(batch, "archive", {}, {});
  EXPECT_EQ(seqs(archive), (std::vector<std::int64_t>{11, 12, 13, 14, 16}));
  const auto siem = route_batch(batch, "siem", {}, {});
  EXPECT_EQ(seqs(siem), (std::vector<std::int64_t>{11, 13, 14, 15, 16}));
  // Its rules still apply to the sink it is for.
  EXPECT_EQ(seqs(route_batch(batch, "archive", health_at_least_error(), {})),
            (std::vector<std::int64_t>{12}));
  const auto step = step_after(archive, archive.send.size(), 0, 10);
  EXPECT_EQ(step.through, 16);
  EXPECT_EQ(step.delivered, 5);
  EXPECT_EQ(step.filtered, 0);  // 15 was not this sink's to filter
}

TEST(step_after, an_unsettled_first_event_moves_nothing) {
  const auto routed = route_batch(mixed(), "s", {}, {});
  EXPECT_EQ(step_after(routed, 0, 0, 10).through, 0);
}

}  // namespace
}  // namespace qsanfwd::pipeline
