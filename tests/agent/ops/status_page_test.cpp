// The status page as built in: served whole, as HTML, under a policy that allows its own inline
// style and script alone.
#include "agent/ops/status_page.hpp"

#include <gtest/gtest.h>

namespace qsanfwd::ops {
namespace {

TEST(status_page, the_policy_allows_the_inline_blocks_by_their_hashes) {
  EXPECT_EQ(status_page_policy("<html><style>a</style><script>b</script></html>"),
            "default-src 'none'; style-src 'sha256-ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs='; "
            "script-src 'sha256-PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0='; connect-src "
            "'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}

TEST(status_page, is_served_as_html_with_its_policy) {
  const auto r = status_page_reply();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, status_page_html);
  EXPECT_TRUE(r.body.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(r.body.ends_with("</html>\n"));
  ASSERT_EQ(r.headers.size(), 3U);
  EXPECT_EQ(r.headers[0].first, "Content-Security-Policy");
  EXPECT_EQ(r.headers[0].second, status_page_policy(status_page_html));
  // Nothing from elsewhere: no URL of another origin in the page.
  EXPECT_EQ(r.body.find("http://"), std::string::npos);
  EXPECT_EQ(r.body.find("https://"), std::string::npos);
  // Data reaches the DOM as text only.
  EXPECT_EQ(r.body.find("innerHTML"), std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::ops
