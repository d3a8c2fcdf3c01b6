/**
 * Metric factories: the CloudWatch metrics the alarms and the dashboard read, one factory per
 * source, each metric over the environment's alarm period.
 *   - a domain function: Lambda's own metrics, its event source mapping's (metricsConfig), and the
 *     handler's EMF metrics (shared/observability/metrics.ts), read by `function` alone;
 *   - the database: the RDS instance's metrics and RDS Proxy's;
 *   - the MSK cluster this stack creates.
 */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as msk from 'aws-cdk-lib/aws-msk';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { FUNCTION_DIMENSION, type MetricName } from '../../../shared/observability/metrics.ts';
import type { DomainFunction } from '../domain-function.ts';

export class FunctionMetricFactory {
  private readonly fn: DomainFunction;
  readonly period: Duration;

  constructor(fn: DomainFunction, period: Duration) {
    this.fn = fn;
    this.period = period;
  }

  /** One of Lambda's metrics of the function (`Errors`, `Duration`, `OffsetLag`…). */
  lambda(metricName: string, statistic: string): cloudwatch.Metric {
    return this.fn.function.metric(metricName, { statistic, period: this.period });
  }

  /** One of the event source mapping's metrics (`PolledEventCount`, `PollingErrorCount`…). */
  mapping(metricName: string, statistic: string = cloudwatch.Stats.SUM): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: { EventSourceMappingUUID: this.fn.eventSourceMapping.attrId },
      statistic,
      period: this.period,
    });
  }

  /** A metric the handler emits (EMF). */
  handler(metricName: MetricName, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.fn.metricsNamespace,
      metricName,
      dimensionsMap: { [FUNCTION_DIMENSION]: this.fn.domain },
      statistic,
      period: this.period,
    });
  }
}

export class DatabaseMetricFactory {
  private readonly instance: rds.DatabaseInstance;
  private readonly period: Duration;

  constructor(instance: rds.DatabaseInstance, period: Duration) {
    this.instance = instance;
    this.period = period;
  }

  /** One of the instance's metrics (`CPUUtilization`, `FreeStorageSpace`…). */
  instanceMetric(metricName: string, statistic: string): cloudwatch.Metric {
    return this.instance.metric(metricName, { statistic, period: this.period });
  }

  /** How long RDS Proxy takes to hand out a connection: microseconds, Average as AWS documents it. */
  proxyBorrowLatency(proxy: rds.DatabaseProxy): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnectionsBorrowLatency',
      dimensionsMap: { ProxyName: proxy.dbProxyName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: this.period,
    });
  }
}

export class KafkaMetricFactory {
  private readonly cluster: msk.CfnCluster;
  private readonly period: Duration;

  constructor(cluster: msk.CfnCluster, period: Duration) {
    this.cluster = cluster;
    this.period = period;
  }

  /** A cluster metric, its Maximum; `dimensions` beyond the cluster's name (`Broker ID`). */
  clusterMetric(metricName: string, dimensions: Record<string, string> = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Kafka',
      metricName,
      dimensionsMap: { 'Cluster Name': this.cluster.clusterName, ...dimensions },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: this.period,
    });
  }
}
