import { commonType, type DataType, WINDOW_TYPE } from './data-type.js';

/** A function's result type from its arguments' types (`undefined`: a NULL literal). */
export type ResultType = (args: readonly (DataType | undefined)[]) => DataType | undefined;

const fixed =
  (type: DataType): ResultType =>
  () =>
    type;

/** Integral functions of integral input stay `long` (`abs`, `round`); anything else is `double`. */
const sameNumeric: ResultType = ([arg]) => (arg === 'long' ? 'long' : 'double');
const common =
  (from: number): ResultType =>
  (args) =>
    args.slice(from).reduce(commonType, undefined);

/**
 * The result type of every scalar function in `SCALAR_FUNCTIONS` (a test keeps the two tables in
 * step), by Spark's rules where they fit sluice's values: Spark's `int` results (`length`,
 * `year`, ...) are `long`, dates are `timestamp` (epoch ms at midnight), `floor`/`ceil` give
 * `long`, `sqrt`/`exp`/`ln`/`pow`/`signum` give `double`.
 */
export const FUNCTION_TYPES: Readonly<Record<string, ResultType>> = {
  upper: fixed('string'),
  ucase: fixed('string'),
  lower: fixed('string'),
  lcase: fixed('string'),
  length: fixed('long'),
  char_length: fixed('long'),
  trim: fixed('string'),
  ltrim: fixed('string'),
  rtrim: fixed('string'),
  substring: fixed('string'),
  substr: fixed('string'),
  concat: fixed('string'),
  replace: fixed('string'),
  contains: fixed('boolean'),
  startswith: fixed('boolean'),
  endswith: fixed('boolean'),
  instr: fixed('long'),
  like: fixed('boolean'),
  rlike: fixed('boolean'),
  concat_ws: fixed('string'),
  abs: sameNumeric,
  floor: fixed('long'),
  ceil: fixed('long'),
  ceiling: fixed('long'),
  sqrt: fixed('double'),
  exp: fixed('double'),
  ln: fixed('double'),
  signum: fixed('double'),
  sign: fixed('double'),
  round: sameNumeric,
  pow: fixed('double'),
  power: fixed('double'),
  greatest: common(0),
  least: common(0),
  coalesce: common(0),
  ifnull: common(0),
  nvl: common(0),
  nullif: ([first]) => first,
  nvl2: common(1),
  if: common(1),
  iff: common(1),
  isnull: fixed('boolean'),
  isnotnull: fixed('boolean'),
  date_trunc: fixed('timestamp'),
  window: fixed(WINDOW_TYPE),
  window_time: fixed('timestamp'),
  timestamp_millis: fixed('timestamp'),
  timestamp_seconds: fixed('timestamp'),
  unix_millis: fixed('long'),
  unix_seconds: fixed('long'),
  to_timestamp: fixed('timestamp'),
  timestamp_string: fixed('string'),
  year: fixed('long'),
  month: fixed('long'),
  dayofmonth: fixed('long'),
  day: fixed('long'),
  dayofweek: fixed('long'),
  hour: fixed('long'),
  minute: fixed('long'),
  second: fixed('long'),
};
