// The Node.js versions hm-infra runs on, checked by bin/hm-infra.js before anything else is
// loaded. Written for any Node.js, however old, so that an unsupported one gets this message
// rather than a syntax error from somewhere inside. The floor is what the dependencies need
// (package.json `engines`, and the README says why).

/** As package.json `engines` says it. */
export var ENGINES = '^22.22.2 || ^24.15.0';

/** Whether hm-infra runs on Node.js `version` (`22.23.5` or `v22.23.5`): 22.22.2+, 24.15+, or 26 and later. */
export function supported(version) {
  var parts = String(version).replace(/^v/, '').split('.');
  var major = Number(parts[0]);
  var minor = Number(parts[1] || 0);
  var patch = Number(parts[2] || 0);
  if (major === 22) return minor > 22 || (minor === 22 && patch >= 2);
  if (major === 24) return minor >= 15;
  return major >= 26;
}

/** What an unsupported Node.js is told, naming its version and what to install. */
export function refusal(version) {
  var major = Number(String(version).replace(/^v/, '').split('.')[0]);
  var why =
    major < 22
      ? 'Node.js ' +
        major +
        ' has reached its end of life, and the AWS SDK for JavaScript drops it from its releases from January 2027.'
      : major % 2 === 1
        ? 'Node.js ' + major + ' is not a long-term-support line, and hm-infra is not built for it.'
        : 'This release of Node.js ' + major + ' is older than the dependencies of hm-infra need.';
  return (
    'hm-infra needs Node.js 22 (22.22.2 or later) or 24 (24.15.0 or later); this is Node.js ' +
    String(version).replace(/^v/, '') +
    '.\n' +
    why +
    '\nInstall Node.js 24 LTS (https://nodejs.org/en/download, or your version manager: `nvm install 24`) and run hm-infra again.\n'
  );
}
