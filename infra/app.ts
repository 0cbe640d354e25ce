import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ExampleQueriesStack } from './example-queries-stack.js';

// The CDK app (`cdk.json`): the example queries. Importing the stack class does not synthesize;
// running this file does.
const app = new App();
new ExampleQueriesStack(app, 'SluiceExamples');
// cdk-nag's AwsSolutions pack runs on every synth; an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
