-- Every event row is announced on fleet_task_event once its transaction commits, so the
-- dashboard and the dashboard issue follow the fleet without polling, whichever code wrote it.
CREATE OR REPLACE FUNCTION fleet_notify_event() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify(
    'fleet_task_event',
    json_build_object(
      'id', NEW.id,
      'taskId', NEW.task_id,
      'repo', (SELECT repo_full_name FROM tasks WHERE id = NEW.task_id),
      'kind', NEW.kind,
      'to', NEW.to_state
    )::text
  );
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER events_notify AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION fleet_notify_event();
