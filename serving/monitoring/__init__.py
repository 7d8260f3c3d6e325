"""Monitoring a written week (issue 15): drift against the champion's training rows, list
churn and slots spent, and the realised outcomes of past invitations once exits are known.

- `serving.monitoring.metrics`: pure computations (frames in, JSON-ready dicts out);
- `serving.monitoring.store`: the week's invitations and the stored payloads (`week_monitoring`);
- `serving.monitoring.run`: `monitor_week`, the job `vigie monitor` and `vigie score` run.

Reads go through `serving.services.monitoring` (data scientists and admins only).
"""
