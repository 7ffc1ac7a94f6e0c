// The log poller's property (see scripted_array_test.cpp) on the scripts of the failures
// fuzz_log_poller and the random search found: each a regression test now.
#include <gtest/gtest.h>

#include "tests/agent/logs/poller_property.hpp"

namespace qsanfwd::test {
namespace {

// Failures fuzz_log_poller found (tests/fuzz/README.md, "What was found"), each with its
// minimal script, kept as regression tests now that they are fixed.

// Fuzz finding 1 (fixed, kept as a regression test): a log all in one second and longer than a page
// cannot be read (its order cannot be told); cleared meanwhile, its lines are lost without a
// logs_gap.
TEST_F(poller_property, finding_1_log_in_one_second_then_cleared) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 3 0 0 0; poll; clear; clock 1; "
                       "write 1 1 0 0; poll"),
            "");
}

// Fuzz finding 2 (fixed, kept as a regression test): an honest array with identical genuine lines A
// B A B A B in one second and pages of 2 serves different pages with the same lines; the poller
// takes the later one for a repeat and fails every cycle (logs_stuck): nothing after it is ever
// read.
TEST_F(poller_property, finding_2_identical_genuine_pages_taken_for_repeats) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 1 0 0 0; clock 1; write 2 4 0 0; "
                       "write 2 4 0 0; write 2 4 0 0; poll"),
            "");
}

// Fuzz finding 3 (fixed, kept as a regression test): the array's clock set back 5 s (within the 10
// s tolerance): the lines it stamps behind the checkpoint are never read, and nothing says so.
TEST_F(poller_property, finding_3_clock_set_back_a_few_seconds) {
  EXPECT_EQ(run_script("page=5 oldest inclusive | write 3 0 0 0; poll; clock -5; write 3 1 0 0; "
                       "poll"),
            "");
  // Under the exclusive reading of startTime a step back of one second is enough.
  EXPECT_EQ(run_script("page=5 oldest exclusive | write 2 0 0 0; poll; clear; clock -1; "
                       "write 3 1 0 0; poll"),
            "");
}

// Fuzz finding 4 (fixed, kept as a regression test): an array that ignores pageNumber, with pages
// of one line, is read for ever: a page of one line (or of identical lines) is never taken for a
// repeat, nothing caps the cycle's pages against `total`, and each sighting is queued as a new line
// (the harness stops the cycle after 2000 requests: 1,997 ids for 2 lines).
TEST_F(poller_property, finding_4_page_number_ignored_with_pages_of_one_line) {
  EXPECT_EQ(run_script("page=1 newest inclusive | write 1 0 0 0; clock 1; write 1 1 0 0; poll; "
                       "mis page; clock 1; write 1 2 0 0; poll"),
            "");
}

// Fuzz finding 5 (fixed, kept as a regression test): a line queued, then dropped by the array (a
// logs_gap says so, and the marks of its second are lowered to what is left), then a new identical
// line in the same second: the new line gets occurrence 1 again, so the same id as the dropped one.
// Two genuine lines, one id: a sink that keys on the id (or a reader that drops repeats by id)
// loses one.
TEST_F(poller_property, finding_5_id_given_again_after_a_gap) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 2 2 0 0; poll; drop 1; poll; "
                       "write 1 2 0 0; poll"),
            "");
}

// Fuzz finding 6 (fixed, kept as a regression test): a line stamped 3 s ahead of the array's clock;
// once the clock is 1 s on, the horizon (clock + 2 s) takes it as settled, the cycle's edges are 0
// and 3 and seconds 1..2 are recorded as read whole although the array's clock is at 1. The line
// the array then stamps at 2 (its present) is dropped as already queued.
TEST_F(poller_property, finding_6_seconds_ahead_of_the_clock_taken_as_read_whole) {
  EXPECT_EQ(run_script("page=4 newest inclusive | future 3; write 1 0 0 0; poll; clock 1; poll"),
            "");
}

// Fuzz finding 7 (fixed, kept as a regression test): the array's clock set back 5 s, so its six
// lines at 0 are ahead of it; oldest first, page 1 holds five of them; a line written at the
// present (-5) during the cycle lands before them and shifts the fifth onto page 2, where the marks
// of that second (kept line by line beyond the horizon) count it as a second genuine line: queued
// again, new id.
TEST_F(poller_property, finding_7_oldest_first_pages_shift_under_lines_ahead) {
  EXPECT_EQ(run_script("page=5 oldest inclusive | write 6 9 0 0; clock -5; inflow 2 1 3 0; poll"),
            "");
}

// Fuzz finding 8 (fixed, kept as a regression test): newest first, pages of 5, the array ignores
// pageNumber and a line arrives before page 2: page 2 is page 1 shifted by one, so it is not taken
// for a repeat; the page window skips the one line of shift and queues the other four of page 1
// again (occurrence 2, new ids): 9 queued for 7 lines. Issue 23 item 2: never queue a line twice,
// whatever the array does with pageNumber.
TEST_F(poller_property, finding_8_page_number_ignored_with_inflow_queues_again) {
  EXPECT_EQ(run_script("page=5 newest inclusive | write 4 1 0 0; clock 1; write 2 0 0 0; "
                       "inflow 2 1 2 0; mis page; poll"),
            "");
}

// Fuzz finding 9 (fixed, kept as a regression test): newest first, pages of 2, `total` always 5
// (wrong), one line arriving during the cycle: the page window computes the shift from `total`,
// sees none, and a line is queued twice under two ids (the settling poll queues it again).
TEST_F(poller_property, finding_9_wrong_total_with_inflow_queues_again) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 3 9 0 0; clock 1; write 2 1 0 0; "
                       "inflow 2 1 0 0; mis total_constant; poll"),
            "");
}

// Fuzz finding 10 (fixed, kept as a regression test): the first cycle of a newest-first array with
// pages of one line learns the order from the first line of the log and the line at position
// `total`; two lines arrive between those two requests, so the second probe finds a newer line at
// the end and the order is taken as oldest first, for good (it is kept in the checkpoint). The
// settling poll then queues four lines again, two of them under ids already queued.
TEST_F(poller_property, finding_10_order_probe_spoiled_by_inflow) {
  EXPECT_EQ(run_script("page=1 newest inclusive | write 2 14 0 0; inflow 3 2 15 0; clock 1; poll"),
            "");
}

// Fuzz finding 11 (fixed with the read by position): an honest newest-first array, 8 distinct lines
// at 0; during the first cycle's order probe 4 lines arrive at 18000 and 4 at 17999. The cycle
// fails
// ("pageNumber 5 with the lines of an earlier page"), and the clean polls after it queue 3 lines
// in all: the 8 at 0 and the 4 at 17999 are never queued, and nothing says so.
TEST_F(poller_property, finding_11_inflow_during_first_cycle_then_lines_never_queued) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 8 1 0 0; inflow 3 4 7 1; "
                       "inflow 2 4 13 0; clock 18000; poll; poll"),
            "");
}

// Fuzz finding 12 (fixed): newest first, startTime exclusive, pages of 5; the array ignores
// pageNumber and says total 5: page 2 repeats page 1, `total` says all was read, the cycle ends as
// complete and the checkpoint moves to -59 although only some lines of -60 were read. Once the
// array behaves, cycles ask for lines after -60: two lines of -60 are never read, and nothing says
// so.
TEST_F(poller_property, finding_12_page_ignored_and_total_wrong_checkpoint_passes_lines) {
  EXPECT_EQ(run_script("page=5 newest exclusive | clock -60; write 4 15 0 1; mis total_constant; "
                       "clock 1; write 2 2 0 0; mis page; poll"),
            "");
}

// Fuzz finding 13 (fixed with the read by position): the array ignores pageNumber while
// its log is 8 lines at 0 and 4 + 2 twins at 2; a cycle fails on the repeat, and once the array
// behaves the clean cycles queue 7 lines: the 8 at 0 are never queued, and nothing says so.
TEST_F(poller_property, finding_13_after_a_failed_repeat_clean_cycles_skip_lines) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 8 1 0 0; clock 2; mis page; poll; "
                       "inflow 3 1 2 0; write 4 5 1 2; poll; mis next"),
            "");
}

// Found by random_scripts_from_environment (seeds 1-6, 3,000 scripts each) after the read by
// position, shrunk by hand. 14 and 18: lines arriving during the order probe failed the cycle,
// and the array then cleared its log: lost, no logs_gap (the probe now asks the bottom page
// again under the new total; a listing that shrinks from one cycle to the next is a gap).
TEST_F(poller_property, finding_14_order_probe_during_inflow_then_cleared) {
  EXPECT_EQ(run_script("page=1 newest exclusive | inflow 2 4 10 0; write 2 14 1 2; poll; drop 11"),
            "");
  EXPECT_EQ(run_script("page=4 oldest inclusive | write 8 0 0 0; inflow 2 4 13 1; poll; clear"),
            "");
}

// 16: lines ahead of a clock set back an hour, lines arriving below them during the cycle,
// then a clear: the lost lines lie ahead of the clock, past the range the gap named.
TEST_F(poller_property, finding_16_gap_range_covers_lines_ahead_of_the_clock) {
  EXPECT_EQ(run_script("page=1 newest exclusive | write 8 2 0 0; inflow 3 3 6 0; clock -3600; "
                       "poll; clear"),
            "");
}

// 19: the clock set back an hour and then on by 30 s before the next poll: the checkpoint
// rule alone went back 10 s from the array's present; the clock's progress against ours shows
// the whole step.
TEST_F(poller_property, finding_19_step_back_then_time_passing) {
  EXPECT_EQ(run_script("page=5 oldest exclusive | write 3 11 1 1; poll; clock -3600; "
                       "write 7 8 1 1; clock 30"),
            "");
}

// 20-22 (a second round of the same search): 20, an array that ignores pageNumber, pages of
// one line, oldest first, a line ahead of the clock: the content reading queued the same line
// once a page, for ever (one-line pages were never repeats, and no total capped the pages);
// 21, a drop masked by lines arriving (the total did not fall) after a cycle that failed left
// marks in a second other than the checkpoint's: the recount covers every marked second now;
// 22, a lying total made page 1 and the bottom page look like one second, and the read by
// position moved the checkpoint past a line before them: a one-second listing moves it only
// once read whole.
TEST_F(poller_property, findings_20_to_22) {
  EXPECT_EQ(run_script("page=1 oldest exclusive | inflow 1 1 10 0; future 3153600000; poll; "
                       "mis page; poll"),
            "");
  EXPECT_EQ(run_script("page=2 newest inclusive | inflow 3 3 1 1; write 4 0 0 0; poll; drop 3"),
            "");
  EXPECT_EQ(run_script("page=2 newest exclusive | future 3; clock 60; write 7 14 0 0; "
                       "mis total_low; poll"),
            "");
}

// 15, 17 and 23: an array without a usable total (read by content), lines stamped ahead of its
// clock at the top of its log, and lines arriving during the cycle: they land below the lines
// ahead, inside what the pages read held, and the content overlap (which expects them on top)
// took lines already read for new ones: queued twice under new ids (pushed_past_lines_ahead).
TEST_F(poller_property, finding_15_no_total_lines_ahead_and_inflow) {
  EXPECT_EQ(run_script("page=3 newest exclusive | mis total_constant; future 30; "
                       "write 8 14 1 2; inflow 4 3 7 1; poll"),
            "");
  EXPECT_EQ(run_script("page=4 newest inclusive | future 3; future 30; future 31536000; "
                       "write 8 12 0 0; future 3600; future 3; future 3600; inflow 3 3 3 1; "
                       "mis total_missing; poll"),
            "");
  // 23: oldest first, the same, lines ahead after a clock set back 5 s.
  EXPECT_EQ(run_script("page=4 oldest inclusive | write 1 6 1 2; write 3 2 0 1; poll; clock -5; "
                       "mis total_missing; write 6 12 1 0; inflow 4 2 7 1; poll"),
            "");
}

// 25 and 26 (a third round), fixed: arrays read by content (haveNextPage always true, no total or
// a lying one, pageNumber ignored) with lines stamped ahead of the clock or identical lines at
// a page boundary while lines arrive. Page by page, a run of lines at a page boundary can be
// taken for lines pushed over, or the reverse. Such a listing is now read in one answer when
// it fits one (up to 10,000 lines): one snapshot of the log, which paging cannot spoil.
TEST_F(poller_property, finding_25_26_read_by_content) {
  EXPECT_EQ(run_script("page=2 newest inclusive | mis total_low; write 1 15 0 2; future 30; "
                       "clock 30; poll"),
            "");
  EXPECT_EQ(run_script("page=4 oldest exclusive | inflow 2 4 12 0; inflow 1 4 6 0; mis next; "
                       "inflow 3 3 7 0; mis total_missing; write 1 10 0 1; future 31536000; poll"),
            "");
}

// 24, 27 and 30-33, fixed: an array that answers haveNextPage true of every page was taken for
// one that lies about its total, and read by content. haveNextPage against the total is now
// settled by the page after the end (empty: the array says "more" about nothing), before the
// checkpoint moves. Scripts as the random search gave them.
TEST_F(poller_property, findings_24_27_30_to_33_have_next_page_always_true) {
  EXPECT_EQ(run_script("page=4 newest exclusive | mis next; inflow 2 2 11 0; inflow 3 2 12 0; "
                       "future 30; inflow 2 4 15 0; poll"),
            "");
  EXPECT_EQ(run_script("page=1 newest inclusive | write 4 14 0 2; future 30; fail 4; poll; "
                       "clock 3600; inflow 4 3 0 1; mis page; poll; clock -5"),
            "");
  EXPECT_EQ(
      run_script(
          "page=2 oldest inclusive | mis next; inflow 3 3 9 1; drop 9; write 3 13 1 0; clock -11; "
          "drop 6; inflow 3 3 14 1; inflow 2 1 4 1; clock 1; write 8 14 0 1; clear; "
          "future 31536000; future 3; poll; clear; write 5 2 0 0; write 7 1 1 2; drop 13; clock 5; "
          "mis off; fail 1; future 31536000; fail 3; poll; fail 3; poll; poll; fail 2; "
          "write 4 13 0 0; inflow 4 2 9 0; fail 1; inflow 4 2 12 0; fail 4; poll; poll; "
          "inflow 4 1 2 0; clear; mis page; poll; mis total_constant; write 3 4 0 0; drop 6; "
          "drop 2; drop 15; clock -1"),
      "");
  EXPECT_EQ(
      run_script(
          "page=3 newest inclusive | inflow 4 4 6 1; clock -1; drop 8; poll; inflow 1 2 1 0; "
          "future 3600; clock 3600; write 6 15 1 2; future 3; poll; poll; drop 14; mis next; "
          "drop 6; poll; clear; inflow 4 3 13 1; future 3600; future 3153600000; clear; "
          "write 2 9 0 0; mis start; fail 4; clock 30; fail 3; poll; mis total_low; poll; poll; "
          "clear; clock -11; mis total_low; future 31536000; poll; drop 9; clock -60; poll; "
          "future 3; future 3; drop 2; inflow 3 4 7 1; inflow 4 4 15 0; future 30; write 7 10 0 1; "
          "clock 1; inflow 2 2 5 0; poll; mis next"),
      "");
  EXPECT_EQ(
      run_script(
          "page=5 newest exclusive | poll; write 1 10 1 0; inflow 3 1 1 0; fail 3; write 4 14 1 2; "
          "mis next; clock 2; write 3 9 1 1; drop 6; mis start; future 3; poll; future 3153600000; "
          "future 3600; poll; future 3600; write 8 0 0 1; inflow 1 1 0 0"),
      "");
  EXPECT_EQ(
      run_script(
          "page=3 newest exclusive | write 7 8 0 1; fail 4; drop 6; inflow 4 3 12 1; drop 14; "
          "poll; fail 3; fail 1; poll; write 8 10 0 0; inflow 1 1 2 1; fail 2; drop 14; drop 16; "
          "clock -1; future 3153600000; write 2 12 0 2; poll; future 30; fail 4; inflow 2 1 8 0; "
          "poll; future 3; inflow 3 2 15 0; clock 2; clear; clock 30; drop 14; clock 2; clear; "
          "inflow 3 3 6 1; clear; clear; clear; poll; inflow 4 3 1 0; clear; mis off; "
          "inflow 2 1 7 0; write 6 6 1 0; future 3600; mis next; future 30; poll; future 3"),
      "");
}

// 28 and 29 (the same round), fixed: a step back of one second, with lines written a second
// late, lay within the 2 s the clock check allowed for rounding; a listing of one second read
// page by page under a total that lied (constant) while lines arrived.
TEST_F(poller_property, findings_28_29_small_step_back_and_one_second_under_a_lying_total) {
  EXPECT_EQ(run_script("page=4 newest exclusive | write 1 2 0 2; poll; clock -1; write 5 0 1 2"),
            "");
  EXPECT_EQ(run_script("page=3 newest exclusive | write 4 13 1 0; poll; clock -1; clock -1; "
                       "write 7 0 0 2"),
            "");
  EXPECT_EQ(run_script("page=2 newest exclusive | write 6 2 1 0; inflow 2 1 3 1; "
                       "mis total_constant; poll"),
            "");
}

// 34 and 35 (honest arrays, a search with the misbehaviours left out): the bottom page the
// order probe fetched was reused for whatever page came next, under another total; lines
// arriving below lines ahead of the clock moved more of them than one page held, and the
// content comparison with the last page missed it (positions now move on by the growth).
TEST_F(poller_property, findings_34_to_37_40_honest_arrays) {
  EXPECT_EQ(run_script("page=2 newest inclusive | inflow 4 3 11 1; inflow 3 1 0 1; "
                       "inflow 3 3 13 0; poll; poll; poll; inflow 2 3 9 0; write 6 1 1 1; poll; "
                       "drop 4"),
            "");
  EXPECT_EQ(run_script("page=3 oldest exclusive | write 4 14 0 1; write 3 1 1 0; clock -5; "
                       "inflow 4 3 10 1; future 3153600000; inflow 4 2 7 0; poll"),
            "");
  // 36: the page asked for before lines arrived below lines ahead held only lines read: ask
  // for the one the reader now needs. 37: the gap a clear left also covers lines never queued.
  EXPECT_EQ(run_script("page=2 oldest exclusive | future 3153600000; write 6 15 1 0; "
                       "inflow 4 2 3 0; clock -5; poll; clear"),
            "");
  EXPECT_EQ(run_script("page=2 oldest inclusive | inflow 4 3 14 0; poll; poll; future 3600; "
                       "future 30; future 3; poll; drop 10"),
            "");
  // 40: a cycle that failed half way had moved the checkpoint, and no cycle had yet ended to
  // give the clock check a reading: a step back of three hours went unmeasured.
  EXPECT_EQ(run_script("page=4 newest exclusive | write 6 3 1 1; write 2 1 0 1; fail 3; poll; "
                       "clock -10800; write 7 11 0 2; clock 3600"),
            "");
}

// 38, fixed (honest array): a read that failed had moved the checkpoint past some pages, then
// the array cleared its log, and lines that read never reached (one stamped a century ahead)
// went with it. The gap was told with a range ending where the lines read end; after a failed
// cycle the range is now open.
TEST_F(poller_property, finding_38_clear_after_a_read_that_moved_the_checkpoint) {
  EXPECT_EQ(run_script("page=4 oldest inclusive | inflow 4 4 12 1; future 3153600000; "
                       "inflow 2 3 1 0; future 30; future 3600; write 4 0 1 2; poll; clear"),
            "");
}

// 39, fixed (fuzz_log_poller, two minutes): an array that ignores pageNumber while single
// lines arrive: the bottom page asked for was page 1 again, taken as the oldest lines, over
// and over, five ids for one line. A page placed below page 1 that holds newer lines, or page
// 1 moved down by a line in a run of one second, now stops the read by position.
TEST_F(poller_property, finding_39_page_ignored_in_one_second_with_inflow) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 8 8 0 0; clock 3600; clock 2; poll; "
                       "inflow 4 1 3 0; poll; inflow 2 1 2 0; mis page; poll; clock 2; mis off"),
            "");
}

// 41-44 (the random search after 25-40 were fixed). 41 and 42: arrays without a total read
// page by page while lines arrived, some stamped a second late (they land below lines read and
// push them on by more than a page), the read failing half way, a step back: now one answer.
// 43 (honest but for startTime, read as exclusive): the recount expected the lines of the
// second before the checkpoint, which such an array never returns: a false gap lowered their
// marks, and an array that then ignored startTime had them queued again. 44: the order probe
// of an array that ignores pageNumber got page 1 again, moved on by lines that arrived, and
// took the array for oldest first; oldest first is now confirmed by page 1 unchanged.
TEST_F(poller_property, findings_41_to_44) {
  EXPECT_EQ(run_script("page=2 newest inclusive | mis total_missing; inflow 4 1 10 1; poll; "
                       "inflow 2 1 13 0; inflow 3 3 13 1; future 30; write 3 2 1 2; poll"),
            "");
  EXPECT_EQ(run_script("page=5 newest exclusive | write 5 4 0 1; clock 3600; inflow 1 4 5 0; "
                       "mis total_missing; fail 2; poll; clock -11"),
            "");
  EXPECT_EQ(run_script("page=4 oldest exclusive | inflow 4 4 6 0; write 6 3 1 2; future 3600; "
                       "poll; poll; mis start; poll"),
            "");
  EXPECT_EQ(run_script("page=2 newest exclusive | inflow 4 3 8 0; poll; mis page; poll; "
                       "write 6 11 1 2; poll"),
            "");
}

// 45-47 (the round after). 45 (honest): a cycle whose order probe failed had seen the listing's
// total, but not kept it, and the lines it never read were dropped without a word. 46: pages of
// one line, pageNumber ignored, after the clock went back: the page asked for as the top held
// lines older than all of page 1. 47: a cycle read again by content lost its clock reading, so
// the next step back went unmeasured.
TEST_F(poller_property, findings_45_to_47) {
  EXPECT_EQ(run_script("page=1 oldest inclusive | inflow 3 1 6 0; future 3153600000; "
                       "future 31536000; poll; drop 5"),
            "");
  EXPECT_EQ(run_script("page=1 oldest inclusive | mis page; write 5 13 0 2; clock -60; "
                       "write 4 5 0 2; drop 10; inflow 2 3 6 1; poll"),
            "");
  EXPECT_EQ(run_script("page=5 oldest exclusive | mis total_missing; write 3 4 1 0; poll; "
                       "clock -60; future 30; clock 18000"),
            "");
}

// 48 and 49 (honest arrays): lines that arrived while the order was probed (written at the
// array's present before lines ahead of its clock, or after a step back, on page 1 of an
// oldest-first log) failed the cycle, and the lines it never read were then dropped and as
// many written: nothing to tell them by. A listing whose order the probe cannot tell is now
// read in one answer, which needs no order.
TEST_F(poller_property, findings_48_49_order_probe_during_inflow) {
  EXPECT_EQ(run_script("page=1 oldest exclusive | future 3600; future 30; inflow 2 1 15 0; poll; "
                       "drop 6; write 3 0 0 0"),
            "");
  EXPECT_EQ(run_script("page=1 oldest exclusive | fail 4; fail 2; write 2 3 1 0; poll; poll; "
                       "inflow 3 4 8 1; future 3; clock -11; poll; clear; write 4 4 1 2"),
            "");
}

// 50 and 51: an oldest-first array that ignores pageNumber, its clock set back: the order
// probe's "bottom" page was page 1 again, holding lines stamped after the step, and the array
// was taken for newest first (now either order is confirmed by page 1 unchanged); then pages
// of one line, each page 1 again, were taken as identical genuine lines at six positions (a
// page that repeats the page read just before, all one second, is now as ambiguous as one that
// repeats page 1).
TEST_F(poller_property, findings_50_51_page_ignored_with_one_line_pages) {
  EXPECT_EQ(run_script("page=1 oldest exclusive | inflow 4 3 1 1; poll; poll; mis page; "
                       "write 6 4 0 0; clock -10800; poll"),
            "");
  EXPECT_EQ(run_script("page=5 newest exclusive | inflow 4 3 6 1; future 3; mis total_low; poll; "
                       "clear; inflow 3 3 4 1; write 1 1 0 0; write 8 12 1 1; mis page; "
                       "inflow 3 3 11 0; inflow 3 3 7 1; future 3600; clock 18000; poll"),
            "");
}

// 52: a total that never changes (total_constant) while lines arrive: page 1 read again at the
// end of a newest-first read held other lines at the same positions, and the two it had
// pushed over were never read. Page 1 changed under the same total is now a total not to
// trust. 53: an oldest-first array that ignores pageNumber, after a step back, while lines
// arrive: lines ahead of the clock taken to have moved on (a shift) were compared with
// nothing, and lines of page 1 served again were queued again. After a shift the lines ahead
// of the clock are compared at their new places.
TEST_F(poller_property, findings_52_53_lies_hidden_by_inflow) {
  EXPECT_EQ(run_script("page=3 newest inclusive | inflow 3 2 10 0; fail 2; write 3 13 1 1; "
                       "write 4 2 1 1; write 2 8 1 1; inflow 3 2 12 0; fail 3; "
                       "mis total_constant; write 1 7 0 2; poll; poll; future 30; "
                       "inflow 3 3 3 1; drop 9; drop 6; clock 5; poll"),
            "");
  EXPECT_EQ(run_script("page=5 oldest exclusive | inflow 2 2 13 0; write 3 8 1 1; "
                       "write 3 12 1 2; poll; clock -3600; mis page; inflow 3 3 13 0; poll"),
            "");
}

// 54 and 55: a first cycle that failed before any checkpoint was saved had read seconds whole,
// then the clock went back: the step was not looked for without a checkpoint, and lines written
// after it into those seconds were taken for lines read. The step is now measured against the
// newest second read whole, and the rewind never moves the start forward.
TEST_F(poller_property, findings_54_55_step_back_after_a_failed_first_cycle) {
  EXPECT_EQ(run_script("page=5 oldest exclusive | future 30; clock 18000; mis next; fail 2; "
                       "write 3 2 1 1; poll; clock -11"),
            "");
  EXPECT_EQ(run_script("page=5 newest exclusive | fail 1; write 7 2 0 2; mis total_constant; "
                       "clock 60; fail 3; poll; inflow 1 2 9 1; poll; clock -11"),
            "");
}

// 56, open: a total that never changes (total_constant) hides lines stamped a second late that
// arrive at the head of an oldest-first log while it is read: the page after moved on by them,
// and began with the page before's last lines, identical lines of one second ahead of the
// clock, which honest arrays also show at a page boundary (identical genuine lines). Page 1
// read again at the end would tell, at a request per cycle, but the lines ahead of the clock
// on the pages before are committed by then: they would have to wait for the read's end (they
// never move the checkpoint, so a crash loses nothing by it). The second script is the same
// (random search, seed 3, script 2007, shrunk): the one refusal left of seeds 1-7 and 42.
TEST_F(poller_property, DISABLED_finding_56_constant_total_hides_late_lines_oldest_first) {
  EXPECT_EQ(run_script("page=3 oldest inclusive | inflow 4 1 3 1; inflow 3 1 11 1; poll; poll; "
                       "mis total_constant; future 3153600000; future 3; future 3153600000; poll"),
            "");
  EXPECT_EQ(run_script("page=2 oldest inclusive | future 3600; inflow 4 4 5 0; inflow 4 3 1 1; "
                       "inflow 2 1 12 0; mis total_constant; future 3; poll; inflow 3 1 3 0; "
                       "poll; inflow 2 1 7 1; drop 8; poll"),
            "");
}

// 57 (bench/hostile clock_jump, 5 lines twice): the clock set five years ahead and back. The
// rewind reopened the record of lines read from where the read goes back to, but a cycle asks
// from the second before, whose marks had gone with the jump: its lines were queued again.
// The script model had no such step (its clock moved ours forward with it); it has now.
TEST_F(poller_property, finding_57_clock_set_ahead_and_back) {
  EXPECT_EQ(run_script("page=3 newest inclusive | write 3 0 0 0; clock 5; clock 5; clock 1; "
                       "write 2 0 0 0; poll; clock 157680000; write 2 0 0 0; poll; "
                       "clock -157680000; write 2 0 0 0; poll"),
            "");
}

// 58-63, fixed, one cause: an array read by content (no total, or a total its pages
// contradict) whose answer in one piece failed once was read page by page instead, where no
// position tells identical genuine lines at a page boundary from lines pushed over by lines
// that arrive, nor lines pushed past lines stamped ahead of the array's clock from new ones:
// lines were lost (58, 60, 61) or queued twice (59, 62, 63; 59 then told a false logs_gap).
// A failed answer in one piece now fails the cycle, which asks again; a listing is read page
// by page only when it is too long for one answer, or its answer keeps failing (three cycles
// in a row): the information is not there, and a logs_inexact event says what such a read
// cannot tell (log_poller_test's a_listing_too_large_for_one_answer_is_read_by_pages).
// 58: honest array, newest first (random search, honest seed 2001, script 234).
TEST_F(poller_property, finding_58_identical_lines_at_a_boundary_read_by_content) {
  EXPECT_EQ(run_script("page=4 newest exclusive | inflow 4 1 9 1; poll; write 8 3 1 2; "
                       "inflow 2 2 12 1; write 4 14 0 2; clock 157680000; fail 4; poll"),
            "");
}

// 59: pageNumber ignored, a total too low, a line an hour ahead (seed 3, script 122).
TEST_F(poller_property, finding_59_pages_ignored_total_low_and_a_line_ahead) {
  EXPECT_EQ(run_script("page=4 newest inclusive | mis page; write 3 7 1 2; fail 2; future 3600; "
                       "mis total_low; inflow 4 1 0 0; poll"),
            "");
}

// 60: two identical lines stamped 30 s ahead, on either side of a page boundary, once the
// clock has passed them (seed 1, script 1976).
TEST_F(poller_property, finding_60_identical_lines_ahead_with_total_low) {
  EXPECT_EQ(run_script("page=5 newest inclusive | future 30; future 31536000; inflow 1 2 0 1; "
                       "mis total_low; future 30; fail 2; future 3600; clock 60; poll"),
            "");
}

// 61-63: no total; seeds 2 (script 2650), 5 (2225) and 6 (1333).
TEST_F(poller_property, finding_61_identical_line_lost_with_total_missing) {
  EXPECT_EQ(run_script("page=5 newest exclusive | fail 4; fail 3; mis total_missing; poll; "
                       "mis next; inflow 4 3 11 1; write 4 8 0 2; clock 3600; future 3; poll; "
                       "fail 4; future 3153600000; poll; write 7 3 1 0; future 3600; poll"),
            "");
}

TEST_F(poller_property, finding_62_line_queued_twice_with_total_missing_and_a_year_ahead) {
  EXPECT_EQ(run_script("page=2 newest inclusive | fail 2; inflow 2 4 4 0; inflow 4 2 13 1; "
                       "inflow 3 1 2 0; mis total_missing; future 31536000; poll"),
            "");
}

TEST_F(poller_property, finding_63_lines_queued_twice_with_total_missing_and_30_s_ahead) {
  EXPECT_EQ(run_script("page=3 newest inclusive | write 8 7 0 1; fail 2; inflow 4 4 2 1; "
                       "future 30; mis total_missing; poll"),
            "");
}

}  // namespace
}  // namespace qsanfwd::test
