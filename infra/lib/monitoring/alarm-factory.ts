/** Makes CloudWatch alarms of the specs in alarms.ts, each notifying the alarm topic. */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/environment-schema.ts';
import type { DomainFunction } from '../domain-function.ts';
import {
  ALARM_KINDS,
  type AlarmKind,
  type AlarmSpec,
  type FunctionAlarmSpecs,
  type PlatformAlarmKind,
  type PlatformAlarmSpec,
} from './alarms.ts';

/** Makes alarms from specs: named `<prefix>-<id>`, notifying `action` on ALARM and on OK. */
export class AlarmFactory {
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly scope: Construct;
  private readonly prefix: string;
  private readonly settings: EnvironmentConfig['alarms'];
  private readonly action: cloudwatch.IAlarmAction;

  constructor(
    scope: Construct,
    prefix: string,
    settings: EnvironmentConfig['alarms'],
    action: cloudwatch.IAlarmAction,
  ) {
    this.scope = scope;
    this.prefix = prefix;
    this.settings = settings;
    this.action = action;
  }

  addAlarm(id: string, kind: AlarmKind | PlatformAlarmKind, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this.scope, id, {
      alarmName: `${this.prefix}-${id}`,
      alarmDescription: `${spec.description} Runbook: infra/README.md#${kind}`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? this.settings.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm ?? this.settings.datapointsToAlarm,
      // Idle topics publish nothing, nor does a cluster before it is ACTIVE; silence is not an
      // incident — except where a spec says it is (stalled-consumer).
      treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** One function's alarms, in ALARM_KINDS order (`<domain>-<kind>`). */
  addFunctionAlarms(fn: DomainFunction, specs: FunctionAlarmSpecs): void {
    for (const kind of ALARM_KINDS) this.addAlarm(`${fn.domain}-${kind}`, kind, specs[kind]);
  }

  addPlatformAlarms(specs: readonly PlatformAlarmSpec[]): void {
    for (const spec of specs) {
      this.addAlarm(spec.member ? `${spec.kind}-${spec.member}` : spec.kind, spec.kind, spec);
    }
  }
}
