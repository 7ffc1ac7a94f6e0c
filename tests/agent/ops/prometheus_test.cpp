#include "agent/ops/prometheus.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::ops {
namespace {

TEST(prometheus_text, writes_help_type_and_samples_with_escaped_labels) {
  prometheus_text p;
  p.family("qsanfwd_lines_read_total", "counter", "Log lines read.\nPer device.");
  p.sample("qsanfwd_lines_read_total", {{"device", "array-01"}}, 1500);
  p.sample("qsanfwd_lines_read_total", {{"device", "a\"b\\c\nd"}}, 0.25);
  p.family("qsanfwd_up", "gauge", "1 when running");
  p.sample("qsanfwd_up", {}, 1);
  EXPECT_EQ(p.text(),
            "# HELP qsanfwd_lines_read_total Log lines read.\\nPer device.\n"
            "# TYPE qsanfwd_lines_read_total counter\n"
            "qsanfwd_lines_read_total{device=\"array-01\"} 1500\n"
            "qsanfwd_lines_read_total{device=\"a\\\"b\\\\c\\nd\"} 0.25\n"
            "# HELP qsanfwd_up 1 when running\n"
            "# TYPE qsanfwd_up gauge\n"
            "qsanfwd_up 1\n");
}

TEST(prometheus_text, histogram_buckets_are_cumulative_and_end_with_inf) {
  latency_histogram h;
  h.observe(0.001);  // first bucket
  h.observe(0.005);  // on the bound: still the first bucket (le is "less or equal")
  h.observe(0.3);    // 0.5
  h.observe(120);    // above every bound
  prometheus_text p;
  p.histogram("lat", {{"sink", "s"}}, latency_histogram::bounds, h.counts(), h.sum());
  const auto& t = p.text();
  EXPECT_NE(t.find("lat_bucket{sink=\"s\",le=\"0.005\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_bucket{sink=\"s\",le=\"0.25\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_bucket{sink=\"s\",le=\"0.5\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_bucket{sink=\"s\",le=\"30\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_bucket{sink=\"s\",le=\"+Inf\"} 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_count{sink=\"s\"} 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("lat_sum{sink=\"s\"} 120.306\n"), std::string::npos) << t;
}

}  // namespace
}  // namespace qsanfwd::ops
