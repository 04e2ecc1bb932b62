// Job control for JavaScript: jobStart(slot, kind, options), jobStep(slot,
// milliseconds) runs steps for about that long and reports progress,
// jobResult(slot), jobCancel(slot). Slots let the live visualization ("viz")
// run beside a background job ("bg"); starting a job replaces the slot's job.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include "web_api/session.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

val job_start(std::string slot, std::string kind, val options) {
  return guarded("job", [&] {
    Session& s = session();
    s.jobs.erase(slot);
    NL_RETURN_IF_ERROR_VAL(s.require_model());
    Result<std::unique_ptr<Job>> job = Status::Error("job: unknown kind '" + kind + "'");
    if (kind == "visualize") job = make_visualization_job(s, options);
    else if (kind == "statistics") job = make_statistics_job(s, options);
    else if (kind == "tiles") job = make_tiles_job(s, options);
    else if (kind == "ablation") job = make_ablation_job(s, options);
    if (!job.ok()) return error_result(job.status().message());
    s.jobs[slot] = std::move(job.value());
    return ok_result();
  });
}

// Runs steps until `milliseconds` have passed (at least one step) or the job ends.
val job_step(std::string slot, double milliseconds) {
  return guarded("job", [&] {
    Session& s = session();
    auto found = s.jobs.find(slot);
    if (found == s.jobs.end()) return error_result("job: no job is running in slot '" + slot + "'");
    Job& job = *found->second;
    const double start = emscripten_get_now();
    while (!job.finished()) {
      Status status = job.step();
      if (!status.ok()) {
        s.jobs.erase(found);
        return error_result(status.message());
      }
      if (emscripten_get_now() - start >= milliseconds) break;
    }
    val report = ok_result();
    report.set("done", job.finished());
    report.set("progress", job.progress());
    job.describe_progress(report);
    return report;
  });
}

val job_result(std::string slot) {
  return guarded("job", [&] {
    Session& s = session();
    auto found = s.jobs.find(slot);
    if (found == s.jobs.end()) return error_result("job: no job in slot '" + slot + "'");
    if (!found->second->finished()) return error_result("job: the job in slot '" + slot + "' has not finished");
    val result = found->second->result();
    s.jobs.erase(found);
    return result;
  });
}

val job_cancel(std::string slot) {
  return guarded("job", [&] {
    session().jobs.erase(slot);
    return ok_result();
  });
}

val job_active(std::string slot) {
  val result = ok_result();
  result.set("active", session().jobs.count(slot) > 0);
  return result;
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_jobs) {
  emscripten::function("jobStart", &job_start);
  emscripten::function("jobStep", &job_step);
  emscripten::function("jobResult", &job_result);
  emscripten::function("jobCancel", &job_cancel);
  emscripten::function("jobActive", &job_active);
}

}  // namespace nl::web
