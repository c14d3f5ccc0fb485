// The `iotwatch` subcommands. Each takes the arguments after its name and returns an ExitCode.
#pragma once
#include <atomic>

namespace iotwatch::cli {

/// Set by SIGINT/SIGTERM; long-running commands poll it and checkpoint before exiting.
const std::atomic<bool>& stop_requested();

int cmd_ingest(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_gen(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_classify(int argc, char** argv);
int cmd_alerts(int argc, char** argv);
int cmd_evidence(int argc, char** argv);
int cmd_retention(int argc, char** argv);
int cmd_geo(int argc, char** argv);
int cmd_sites(int argc, char** argv);
int cmd_share(int argc, char** argv);
int cmd_survey(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_collect(int argc, char** argv);
int cmd_store(int argc, char** argv);
int cmd_cnc(int argc, char** argv);
int cmd_flows(int argc, char** argv);
int cmd_sensor(int argc, char** argv);
int cmd_center(int argc, char** argv);

}  // namespace iotwatch::cli
