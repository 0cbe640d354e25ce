import { Stack } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ResolvedGlueColumns } from './glue-columns.js';
import type { GlueColumn, GlueTableOptions } from './props.js';

/** Hive storage settings per sink format. */
const FORMATS = {
  parquet: {
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    classification: 'parquet',
  },
  jsonl: {
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    classification: 'json',
  },
} as const;

/** The Glue resources of one query. */
export interface QueryGlueTable {
  readonly database?: CfnDatabase;
  readonly table: CfnTable;
}

/** A Glue-safe table name from a query name (`page-views` → `page_views`). */
export function glueTableName(query: string): string {
  return query.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * A Glue table over the query's data objects (`s3://BUCKET/PREFIX/QUERY/data/`), so Athena can
 * query the output. Partition keys, when given, are projected from the sink's `col=value/` folders
 * (`partition_projection` is left to the user; run `MSCK REPAIR TABLE` or add partitions).
 */
export function createGlueTable(
  scope: Construct,
  target: {
    readonly query: string;
    readonly bucket: IBucket;
    readonly keyPrefix: string;
    readonly options: GlueTableOptions;
    /** The columns, partition keys and format (`resolveGlueColumns`). */
    readonly resolved: ResolvedGlueColumns;
  },
): QueryGlueTable {
  const { options, resolved } = target;
  const catalogId = Stack.of(scope).account;
  const database =
    options.createDatabase === false
      ? undefined
      : new CfnDatabase(scope, 'GlueDatabase', {
          catalogId,
          databaseInput: { name: options.database, description: 'sluice query outputs' },
        });
  const format = FORMATS[resolved.format];
  const column = (c: GlueColumn) => ({
    name: c.name,
    type: c.type,
    ...(c.comment ? { comment: c.comment } : {}),
  });
  const table = new CfnTable(scope, 'GlueTable', {
    catalogId,
    databaseName: options.database,
    tableInput: {
      name: options.tableName ?? glueTableName(target.query),
      description: `Output of sluice query ${target.query} (upsert log in update/complete modes: keep the newest row per key)`,
      tableType: 'EXTERNAL_TABLE',
      parameters: { classification: format.classification, EXTERNAL: 'TRUE' },
      partitionKeys: resolved.partitionKeys.map(column),
      storageDescriptor: {
        location: `s3://${target.bucket.bucketName}/${target.keyPrefix}/data/`,
        columns: resolved.columns.map(column),
        inputFormat: format.inputFormat,
        outputFormat: format.outputFormat,
        serdeInfo: { serializationLibrary: format.serializationLibrary },
      },
    },
  });
  if (database !== undefined) table.addResourceDependency(database, 'the table lives in the database');
  return { ...(database === undefined ? {} : { database }), table };
}
