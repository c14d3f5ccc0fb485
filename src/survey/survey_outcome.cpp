#include "survey/survey_outcome.h"

namespace iotwatch {

namespace {
constexpr const char* kNames[kSurveyOutcomeCount] = {"closed", "open-no-service", "no-auth", "auth-prompt",
                                                     "login-ok", "error", "timeout"};
}

const char* outcome_name(SurveyOutcome o) { return kNames[static_cast<int>(o)]; }

std::optional<SurveyOutcome> outcome_from_name(const std::string& name) {
    for (int i = 0; i < kSurveyOutcomeCount; ++i)
        if (name == kNames[i]) return static_cast<SurveyOutcome>(i);
    return std::nullopt;
}

}  // namespace iotwatch
