import 'aws-sdk-client-mock-vitest/extend';
import './support/no-network.mjs';

// The SDK must never probe the instance metadata address, nor read the developer's profiles.
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_CONFIG_FILE'] = '/nonexistent/hm-infra-test/config';
process.env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/hm-infra-test/credentials';
process.env['AWS_ACCESS_KEY_ID'] = 'AKIAFAKEFAKEFAKEFAKE';
process.env['AWS_SECRET_ACCESS_KEY'] = 'fake-secret-for-tests-only';
for (const name of [
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_SESSION_TOKEN',
  'NO_COLOR',
])
  delete process.env[name];
