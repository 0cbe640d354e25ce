export { S3StateObjects } from './s3-state-objects.js';
