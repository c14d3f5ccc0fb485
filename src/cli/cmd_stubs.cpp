// Temporary: subcommands whose modules are being written.
#include <cstdio>
#include "cli/commands.h"
namespace iotwatch::cli {
int cmd_report(int, char**) { std::fputs("report: not built yet\n", stderr); return 1; }
int cmd_gen(int, char**) { std::fputs("gen: not built yet\n", stderr); return 1; }
}
