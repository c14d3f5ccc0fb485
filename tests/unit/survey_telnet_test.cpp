// TelnetLogin with recorded negotiations (BusyBox and inetutils telnetd openings), split IAC
// sequences, CR NUL, SB blocks, ANSI escapes, banners containing '#', password-only devices.
#include <gtest/gtest.h>

#include "survey/telnet_login.h"

namespace iotwatch {
namespace {

using V = TelnetLogin::Verdict;
std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s += char(c);
    return s;
}
constexpr int IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;

TEST(TelnetLogin, BusyBoxOpeningIsAnsweredOnce) {
    TelnetLogin t(std::string("admin"), std::string("admin"));
    std::string reply;
    // BusyBox telnetd: DO ECHO, DO NAWS, WILL ECHO, WILL SGA.
    EXPECT_EQ(t.feed(bytes({IAC, DO, 1, IAC, DO, 31, IAC, WILL, 1, IAC, WILL, 3}), reply), V::kContinue);
    EXPECT_EQ(reply, bytes({IAC, WONT, 1, IAC, WONT, 31, IAC, DO, 1, IAC, DO, 3}));
    // The same WILL again changes nothing: it is not acknowledged.
    reply.clear();
    t.feed(bytes({IAC, WILL, 1, IAC, DONT, 5}), reply);
    EXPECT_EQ(reply, "");
}

TEST(TelnetLogin, InetutilsOpeningWithCrNul) {
    TelnetLogin t(std::string("root"), std::string("xc3511"));
    std::string reply;
    t.feed(bytes({IAC, WILL, 37, IAC, WILL, 38, IAC, DO, 24, IAC, DO, 32, IAC, DO, 35, IAC, DO, 39, IAC, DO, 36, IAC, WILL, 3}),
           reply);
    EXPECT_EQ(reply, bytes({IAC, DONT, 37, IAC, DONT, 38, IAC, WONT, 24, IAC, WONT, 32, IAC, WONT, 35, IAC, WONT, 39,
                            IAC, WONT, 36, IAC, DO, 3}));
    reply.clear();
    EXPECT_EQ(t.feed(std::string("Debian GNU/Linux 12\r\0\r\0host login: ", 35), reply), V::kContinue);
    EXPECT_EQ(reply, "root\r\n");
    EXPECT_EQ(t.phase(), TelnetLogin::Phase::kSentUser);
}

TEST(TelnetLogin, SplitIacAndSubnegotiationAcrossReads) {
    TelnetLogin t(std::nullopt, std::nullopt);
    std::string reply;
    std::string all = bytes({IAC, SB, 24, 1, IAC, IAC, 7, IAC, SE, IAC, WILL}) + bytes({1}) + "lo" + "gin: ";
    // feed one byte at a time: every split point
    bool prompt = false;
    for (char c : all) prompt = prompt || t.feed(std::string_view(&c, 1), reply) == V::kPrompt;
    EXPECT_EQ(reply, bytes({IAC, DO, 1}));
    EXPECT_TRUE(prompt);  // no credential: stop at the prompt
}

TEST(TelnetLogin, IacIacIsDataAndAnsiIsStripped) {
    TelnetLogin t(std::nullopt, std::nullopt);
    std::string reply;
    t.feed(std::string("\x1b[1;32mWelcome\x1b[0m ") + bytes({IAC, IAC}) + "\r\n", reply);
    EXPECT_EQ(t.text(), "Welcome \xff\n");
    EXPECT_EQ(t.feed("\x1b[2Jlog\x1b[0min: ", reply), V::kPrompt);
}

TEST(TelnetLogin, PromptOnlyAtBufferEnd) {
    TelnetLogin t(std::string("admin"), std::string("admin"));
    std::string reply;
    EXPECT_EQ(t.feed("Please login: using your account\r\n", reply), V::kContinue);
    EXPECT_EQ(reply, "");
}

TEST(TelnetLogin, HashInBannerNeverCounts) {
    TelnetLogin t(std::string("admin"), std::string("wrong"));
    std::string reply;
    EXPECT_EQ(t.feed("Router #1 ready #\r\n", reply), V::kContinue);
    EXPECT_FALSE(t.prompt_seen());
    EXPECT_EQ(t.feed("login: ", reply), V::kContinue);
    EXPECT_EQ(t.feed("Password: ", reply), V::kContinue);
    EXPECT_EQ(reply, "admin\r\nwrong\r\n");
    EXPECT_EQ(t.feed("\r\nLogin incorrect\r\n", reply), V::kRejected);
}

TEST(TelnetLogin, SuccessOnlyAfterPassword) {
    TelnetLogin t(std::string("root"), std::string("vizxv"));
    std::string reply;
    t.feed("login: ", reply);
    EXPECT_EQ(t.feed("Password: ", reply), V::kContinue);
    EXPECT_EQ(t.feed("\r\nBusyBox built-in shell\r\n# ", reply), V::kLoginOk);
}

TEST(TelnetLogin, PasswordOnlyDevice) {
    TelnetLogin t(std::string("admin"), std::string("1234"));
    std::string reply;
    EXPECT_EQ(t.feed("Password: ", reply), V::kContinue);
    EXPECT_EQ(reply, "1234\r\n");
    EXPECT_EQ(t.feed("Last login: today\r\n", reply), V::kLoginOk);
}

TEST(TelnetLogin, RepeatedPromptAfterPasswordIsRejection) {
    TelnetLogin t(std::string("admin"), std::string("x"));
    std::string reply;
    t.feed("login: ", reply);
    t.feed("Password: ", reply);
    EXPECT_EQ(t.feed("\r\nlogin: ", reply), V::kRejected);
}

TEST(TelnetLogin, EofAndTimeout) {
    TelnetLogin a(std::string("a"), std::string("b"));
    EXPECT_EQ(a.on_eof(), V::kNoService);
    TelnetLogin b(std::string("a"), std::string("b"));
    std::string reply;
    b.feed("login: ", reply);
    b.feed("Password: ", reply);
    EXPECT_EQ(b.on_timeout(), V::kRejected);  // never claims a login without a sign of one
}

}  // namespace
}  // namespace iotwatch
