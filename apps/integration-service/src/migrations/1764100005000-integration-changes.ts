import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every write to `integration.integrations` notifies `integration_changes` with its workspace id,
 * on commit: replicas that remember connected integrations (`ConnectedIntegrations`) forget the
 * workspace's, whichever replica or tool wrote.
 */
export class IntegrationChanges1764100005000 implements MigrationInterface {
  name = 'IntegrationChanges1764100005000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE FUNCTION integration.notify_integration_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('integration_changes', OLD.workspace_id);
        ELSE
          PERFORM pg_notify('integration_changes', NEW.workspace_id);
        END IF;
        RETURN NULL;
      END $$`);
    await runner.query(`CREATE TRIGGER integrations_changed
      AFTER INSERT OR UPDATE OR DELETE ON integration.integrations
      FOR EACH ROW EXECUTE FUNCTION integration.notify_integration_change()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TRIGGER integrations_changed ON integration.integrations`);
    await runner.query(`DROP FUNCTION integration.notify_integration_change()`);
  }
}
