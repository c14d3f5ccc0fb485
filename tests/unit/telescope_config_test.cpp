#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/error.h"
#include "telescope/telescope_config.h"

using namespace iotwatch;

namespace {
std::string write_temp(const std::string& text) {
    char name[] = "/tmp/iotwatch-config-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    std::ofstream(name) << text;
    return name;
}
std::string error_of(const std::string& text) {
    std::string path = write_temp(text);
    try {
        TelescopeConfig::load(path);
    } catch (const ConfigError& e) {
        std::remove(path.c_str());
        return e.what();
    }
    std::remove(path.c_str());
    return "";
}
}  // namespace

TEST(TelescopeConfig, LoadsSensorsAndStore) {
    std::string path = write_temp(R"(
[store]
db = "t.db"
[[sensor]]
name = "tokyo-1"
prefixes = ["198.18.0.0/16"]
[[sensor]]
name = "osaka-2"
prefixes = ["198.19.0.0/24", "2001:db8:dead::/48"]
)");
    auto cfg = TelescopeConfig::load(path);
    std::remove(path.c_str());
    ASSERT_EQ(cfg.sensors.size(), 2u);
    EXPECT_EQ(cfg.db_path, "t.db");
    EXPECT_EQ(cfg.sensors[1].name, "osaka-2");
    EXPECT_EQ(cfg.sensors[1].prefixes[1].to_string(), "2001:db8:dead::/48");
    Darknet dn(cfg.sensors);
    EXPECT_FALSE(dn.dense());  // an IPv6 prefix: destinations are tracked by address
    EXPECT_EQ(dn.ipv4_size(), 65536u + 256u);
}

TEST(TelescopeConfig, ErrorsNameTheFileKeyAndValue) {
    EXPECT_NE(error_of("[[sensor]]\nname = \"a\"\nprefixes = [\"198.18.0.1/16\"]\n").find("host bits"), std::string::npos);
    EXPECT_NE(error_of("[[sensor]]\nprefixes = [\"198.18.0.0/16\"]\n").find("sensor[0].name"), std::string::npos);
    EXPECT_NE(error_of("[[sensor]]\nname = \"a\"\n").find("prefixes"), std::string::npos);
    EXPECT_NE(error_of("[[sensor]]\nname = \"a\"\nprefixes = [\"x\"]\n[[sensor]]\nname=\"a\"\n").find("prefixes"),
              std::string::npos);
    std::string syntax = error_of("[[sensor]\nname = 1\n");
    EXPECT_NE(syntax.find("iotwatch-config-"), std::string::npos) << syntax;
    EXPECT_NE(syntax.find(":1:"), std::string::npos) << syntax;  // line number
    EXPECT_NE(error_of("[[sensor]]\nname=\"a\"\nprefixes=[\"10.0.0.0/8\"]\n[[sensor]]\nname=\"a\"\nprefixes=[\"11.0.0.0/8\"]\n")
                  .find("duplicate sensor name"),
              std::string::npos);
    TelescopeConfig cfg;
    EXPECT_THROW(cfg.add_darknet_prefix("198.18.0.0/33"), ConfigError);
    cfg.add_darknet_prefix("198.18.0.0/16");
    cfg.add_darknet_prefix("198.20.0.0/16");
    ASSERT_EQ(cfg.sensors.size(), 1u);
    EXPECT_EQ(cfg.sensors[0].prefixes.size(), 2u);
}

TEST(TelescopeConfig, DetectThresholdsAreConfigurableAndChecked) {
    std::string path = write_temp("[detect]\nscan_min_destinations = 50\nscan_min_rate_pps = 2.5\ndos_min_packets = 10\n");
    auto cfg = TelescopeConfig::load(path);
    std::remove(path.c_str());
    EXPECT_EQ(cfg.scan.min_destinations, 50u);
    EXPECT_DOUBLE_EQ(cfg.scan.min_rate_pps, 2.5);
    EXPECT_EQ(cfg.scan.idle_timeout_s, 480);  // default kept
    EXPECT_EQ(cfg.dos.min_packets, 10u);
    EXPECT_NE(error_of("[detect]\nscan_min_destinations = 0\n").find("detect.scan_min_destinations"), std::string::npos);
    EXPECT_NE(error_of("[detect]\nscan_min_destinatons = 5\n").find("unknown key detect.scan_min_destinatons"),
              std::string::npos);
    EXPECT_NE(error_of("[detect]\ndos_window_s = 65\n").find("multiple"), std::string::npos);
    EXPECT_NE(error_of("[detect]\nscan_min_destinations = 1e300\n").find("detect.scan_min_destinations"), std::string::npos);
    EXPECT_NE(error_of("[detect]\ndos_expiry_s = 60.0\n").find("detect.dos_expiry_s"), std::string::npos);
}
