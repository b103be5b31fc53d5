"""The court's side of video hearings: records, eligibility decisions, signed consent,
scheduling, participants, attendance. The media (WebRTC relay and recorder) is the
top-level ``hearings`` package, which knows nothing of the court."""
