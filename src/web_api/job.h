// Job: long work (feature visualization, statistics over the sample images,
// visualization tiles, ablation) cut into small steps, so the worker that
// hosts the engine can answer other requests and cancellations between steps
// and report progress. The engine holds at most one job per named slot
// ("viz" for the live visualization, "bg" for everything else).
#pragma once
#include <emscripten/val.h>

#include "tensor/status.h"

namespace nl::web {

class Job {
 public:
  virtual ~Job() = default;
  // Does a small unit of work (a few milliseconds to a few hundred).
  virtual Status step() = 0;
  virtual bool finished() const = 0;
  virtual double progress() const = 0;  // 0..1
  // What the UI shows while the job runs: set on `report` (e.g. the images
  // of the steps done since the last report).
  virtual void describe_progress(emscripten::val& report) = 0;
  // The job's result once finished (also stored in the session when useful).
  virtual emscripten::val result() = 0;
};

}  // namespace nl::web

#include <memory>

namespace nl::web {

struct Session;

// The job kinds; each file builds one from the JS options, checking them first.
Result<std::unique_ptr<Job>> make_visualization_job(Session& session, emscripten::val options);
Result<std::unique_ptr<Job>> make_statistics_job(Session& session, emscripten::val options);
Result<std::unique_ptr<Job>> make_tiles_job(Session& session, emscripten::val options);
Result<std::unique_ptr<Job>> make_ablation_job(Session& session, emscripten::val options);

}  // namespace nl::web
