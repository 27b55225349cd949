/**
 * Which company answers for a domain's DNS, told from its NS records, and how that company's
 * record form wants the SES records typed. Pure data and functions: no SDK, no I/O.
 *
 * Sources read for the forms (cited again next to each provider):
 * - Route 53: docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html (TXT values
 *   in quotation marks; domain names fully qualified, the final dot optional) and
 *   resource-record-sets-creating.html (console procedure).
 * - Cloudflare: developers.cloudflare.com/dns/manage-dns-records/reference/dns-record-types/ (Name is a
 *   subdomain or `@`; CNAME Target is a hostname; TXT saved without quotes gets them added), .../how-to/
 *   create-dns-records/ (DNS → Records → Add record), /dns/proxy-status/ (records that verify a domain
 *   stay DNS-only), /dns/cname-flattening/set-up-cname-flattening/ ("Flatten all CNAMEs").
 * - GoDaddy: godaddy.com/help "Add a TXT record" (Name: the host name or prefix without the domain,
 *   `@` for the root; Value; TTL default 1 hour).
 * - Namecheap: namecheap.com/support/knowledgebase/article.aspx/9646 (the DNS system adds the domain
 *   to the Host: enter `mysubdomain`, not `mysubdomain.domain.tld`; Advanced DNS; target an FQDN).
 * - Hetzner: the DNS Console needs a final dot on names outside the zone (terraform-provider-hetznerdns
 *   issue 19, confirmed against the console by its users).
 * - Gandi: its help pages give TXT values in quotes (`@ 10800 IN TXT "v=spf1 …"`); LiveDNS values are
 *   zone-file data (`10 host.` with the final dot).
 * Nameserver names: each provider's own pages and public zone listings (for example the four
 * `*.ns.porkbun.com`, `nsa1`–`nsd4`/`ns01`–`ns04.squarespacedns.com`, `dns1`–`dns4.p0N.nsone.net` that
 * Netlify hands out, `ns1`/`ns2.vercel-dns.com`).
 * Where a form's behaviour could not be confirmed, the entry takes the instruction that is safe either
 * way (the part before the domain; a note for the other spelling) and docs/dns-providers.md says so.
 */

/** A DNS host and how its record form wants the SES records typed. */
export interface DnsProvider {
  /** 'route53', 'cloudflare', 'godaddy', …, 'other' (NS not recognised or mixed), 'unknown' (no NS). */
  id: string;
  /** As users know it. For 'other', names the NS's registrable domain ("the DNS host at example-dns.net"). */
  name: string;
  /** How the form's host field wants names: relative to the zone (the provider appends it) or fully qualified. */
  hostField: 'relative' | 'fqdn';
  /** What to type for the zone apex ('@', or '' for "leave blank"). */
  apex: string;
  /** The host field appends the zone: typing the full name doubles it (abc._domainkey.example.com.example.com). */
  appendsZone: boolean;
  /** Whether TXT values are typed bare or in quotes. */
  txt: 'bare' | 'quoted';
  /** CNAME/MX targets must end with a dot (else the provider appends the zone to them too). */
  targetDot: boolean;
  /** MX priority is its own field (else typed in the value: `10 host`). */
  mxPriorityField: boolean;
  /** Where the proxy switch is and what to set (Cloudflare: Proxy status → DNS only). */
  proxy?: string;
  /** Where in the provider's dashboard the DNS records are edited; `<domain>` stands for the zone. */
  where: string;
  /** Field names of the provider's form, for the table header. */
  fields: { type: string; host: string; value: string; priority?: string; proxy?: string; ttl: string };
  /** Provider-specific advice, shown under the table; `<domain>`, `<region>` and `<mx-value>` are filled in. */
  notes: string[];
}

/** `<mx-value>` is filled in by the view: the MX as one value (`10 feedback-smtp.<region>.amazonses.com`). */
const NO_PRIORITY_FIELD_HINT = 'If the form has no separate priority field, type the MX value as `<mx-value>`.';

// --- providers recognised by their nameservers ---------------------------------------------------

/** Route 53: ns-2048.awsdns-64.com/.net/.org/.co.uk. TXT in quotes; MX value `10 host` on one line. */
const ROUTE53: DnsProvider = {
  id: 'route53',
  name: 'Amazon Route 53',
  hostField: 'relative',
  apex: '',
  // The console's Record name box shows the zone after it, and a full name typed there is doubled.
  appendsZone: true,
  txt: 'quoted',
  targetDot: false,
  mxPriorityField: false,
  where: 'AWS console → Route 53 → Hosted zones → <domain> → Create record',
  fields: { type: 'Record type', host: 'Record name', value: 'Value', ttl: 'TTL (seconds)' },
  notes: ['If this hosted zone is in the AWS account hm-infra uses, `--dns route53` writes these records for you.'],
};

/** Cloudflare: <name>.ns.cloudflare.com. DKIM CNAMEs must be DNS only; TXT may be typed bare. */
const CLOUDFLARE: DnsProvider = {
  id: 'cloudflare',
  name: 'Cloudflare',
  hostField: 'relative',
  apex: '@',
  // The Name field takes the part before the zone (or the full name, which it keeps as is).
  appendsZone: false,
  // "If you save your TXT content without any quotes, Cloudflare will automatically add double quotes."
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  proxy: 'Proxy status → DNS only (click the orange cloud until it turns grey)',
  where: 'dash.cloudflare.com → <domain> → DNS → Records → Add record',
  fields: { type: 'Type', host: 'Name', value: 'Target', priority: 'Priority', proxy: 'Proxy status', ttl: 'TTL' },
  notes: [
    'The form names the value Target for a CNAME, Mail server for an MX and Content for a TXT record.',
    'Leave DNS → Settings → CNAME flattening at "Flatten at root": "Flatten all CNAMEs" answers the DKIM names with addresses instead of the CNAMEs SES looks for.',
    "With a token that may edit this zone's DNS, `--dns cloudflare` (CLOUDFLARE_API_TOKEN) writes these records for you.",
  ],
};

/** GoDaddy: nsNN.domaincontrol.com (also its older secureserver.net servers). Host without the domain. */
const GODADDY: DnsProvider = {
  id: 'godaddy',
  name: 'GoDaddy',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'GoDaddy Domain Portfolio → <domain> → DNS → DNS Records → Add New Record',
  fields: { type: 'Type', host: 'Name', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: ['TTL: choose Custom and 600 seconds, or keep the default of 1 hour (it only slows later changes).'],
};

/** Namecheap: dnsN.registrar-servers.com (BasicDNS), pdnsN.registrar-servers.com (PremiumDNS). */
const NAMECHEAP: DnsProvider = {
  id: 'namecheap',
  name: 'Namecheap',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'Namecheap → Domain List → Manage (<domain>) → Advanced DNS → Host Records → Add New Record',
  fields: { type: 'Type', host: 'Host', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [
    'If MX is not offered under Host Records, set Mail Settings (further down the same page) to Custom MX and add the MX record there.',
    'TTL: Automatic is fine.',
  ],
};

/** Squarespace Domains: nsa1…nsd4 / ns01…ns04.squarespacedns.com, and the Google Domains it took over. */
const SQUARESPACE: DnsProvider = {
  id: 'squarespace',
  name: 'Squarespace Domains',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'Squarespace → Domains → <domain> → DNS → DNS Settings → Custom records → Add record',
  fields: { type: 'Type', host: 'Host', value: 'Data', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

/** The Google Domains nameservers (ns-cloud-a1…e4.googledomains.com) are also Google Cloud DNS's. */
const SQUARESPACE_FROM_GOOGLE: DnsProvider = {
  ...SQUARESPACE,
  name: 'Squarespace Domains (formerly Google Domains)',
  notes: [
    'Google Domains moved to Squarespace: manage the domain there.',
    'These nameservers also serve Google Cloud DNS: if the zone is in a Google Cloud project, add the records in Cloud DNS instead (DNS name: the part before <domain>; TXT data in double quotes; MX data `10 feedback-smtp.<region>.amazonses.com.`).',
  ],
};

/** Porkbun: curitiba/fortaleza/maceio/salvador.ns.porkbun.com. Host left blank for the domain itself. */
const PORKBUN: DnsProvider = {
  id: 'porkbun',
  name: 'Porkbun',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'porkbun.com → Account → Domain Management → <domain> → DNS',
  fields: { type: 'Type', host: 'Host', value: 'Answer', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

/** DigitalOcean: ns1–ns3.digitalocean.com. Hostname relative; targets as full names with the final dot. */
const DIGITALOCEAN: DnsProvider = {
  id: 'digitalocean',
  name: 'DigitalOcean',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  // Its API wants the final dot on names outside the zone; typing it in the panel is safe either way.
  targetDot: true,
  mxPriorityField: true,
  where: 'DigitalOcean control panel → Networking → Domains → <domain>',
  fields: { type: 'Type', host: 'Hostname', value: 'Value', priority: 'Priority', ttl: 'TTL (seconds)' },
  notes: [],
};

/** Vercel: ns1/ns2.vercel-dns.com. */
const VERCEL: DnsProvider = {
  id: 'vercel',
  name: 'Vercel DNS',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'vercel.com → your team → Domains → <domain> → DNS Records',
  fields: { type: 'Type', host: 'Name', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

/** Netlify DNS: dns1–dns4.p0N.nsone.net (NS1's servers, which other NS1 customers get too). */
const NETLIFY: DnsProvider = {
  id: 'netlify',
  name: 'Netlify DNS',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'app.netlify.com → Domains → <domain> → DNS records → Add new record',
  fields: { type: 'Record type', host: 'Name', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [
    "These nameservers (nsone.net) belong to NS1, which serves other companies' zones too: if <domain> is not in Netlify, add the records where these nameservers were given to you (the NS1 portal, for example).",
  ],
};

/** Gandi LiveDNS: ns-NN-a/b/c.gandi.net. Zone-file style values: TXT in quotes, final dots. */
const GANDI: DnsProvider = {
  id: 'gandi',
  name: 'Gandi LiveDNS',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'quoted',
  targetDot: true,
  mxPriorityField: true,
  where: 'admin.gandi.net → Domain → <domain> → DNS Records → Add record',
  fields: { type: 'Type', host: 'Name', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [NO_PRIORITY_FIELD_HINT],
};

/** OVHcloud: dnsNN.ovh.net / nsNN.ovh.net (and dnsNN.anycast.me). Sub-domain field; targets with a dot. */
const OVH: DnsProvider = {
  id: 'ovh',
  name: 'OVHcloud',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: true,
  mxPriorityField: true,
  where: 'OVHcloud Control Panel → Web Cloud → Domain names → <domain> → DNS zone → Add an entry',
  fields: { type: 'Type', host: 'Sub-domain', value: 'Target', priority: 'Priority', ttl: 'TTL' },
  notes: [NO_PRIORITY_FIELD_HINT],
};

/** IONOS (1&1): nsNN.ui-dns.com/.de/.org/.biz. Host name field with the domain shown after it. */
const IONOS: DnsProvider = {
  id: 'ionos',
  name: 'IONOS',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'IONOS → Menu → Domains & SSL → <domain> → DNS → Add record',
  fields: { type: 'Type', host: 'Host name', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

// --- others, by name --------------------------------------------------------------------------------

/** Hetzner DNS: hydrogen/oxygen.ns.hetzner.com, helium.ns.hetzner.de; Robot: ns1.first-ns.de … */
const HETZNER: DnsProvider = {
  id: 'hetzner',
  name: 'Hetzner DNS',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'quoted',
  // Names outside the zone need the final dot, or the console appends the zone to them.
  targetDot: true,
  mxPriorityField: false,
  where: 'Hetzner Console (dns.hetzner.com) → <domain> → Add record',
  fields: { type: 'Type', host: 'Name', value: 'Value', ttl: 'TTL' },
  notes: [],
};

/** Azure DNS: ns1-NN.azure-dns.com, ns2-NN.azure-dns.net, ns3-NN.azure-dns.org, ns4-NN.azure-dns.info. */
const AZURE: DnsProvider = {
  id: 'azure',
  name: 'Azure DNS',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'Azure portal → DNS zones → <domain> → + Record set',
  fields: { type: 'Type', host: 'Name', value: 'Alias / Mail exchange / Value', priority: 'Preference', ttl: 'TTL' },
  notes: [],
};

/** DNSimple: ns1/ns3.dnsimple.com, ns2.dnsimple-edge.net, ns4.dnsimple-edge.org. */
const DNSIMPLE: DnsProvider = {
  id: 'dnsimple',
  name: 'DNSimple',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'dnsimple.com → Domains → <domain> → DNS → Manage → Add record',
  fields: { type: 'Type', host: 'Name', value: 'Content', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

/** Linode (Akamai Cloud) DNS Manager: ns1–ns5.linode.com. */
const LINODE: DnsProvider = {
  id: 'linode',
  name: 'Akamai Cloud (Linode) DNS Manager',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'cloud.linode.com → Domains → <domain>',
  fields: {
    type: 'Record type',
    host: 'Hostname',
    value: 'Aliases to / Mail server / Value',
    priority: 'Preference',
    ttl: 'TTL',
  },
  notes: [],
};

/** Hover: ns1/ns2.hover.com. */
const HOVER: DnsProvider = {
  id: 'hover',
  name: 'Hover',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'hover.com → <domain> → DNS → Add a record',
  fields: { type: 'Type', host: 'Hostname', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [NO_PRIORITY_FIELD_HINT],
};

/** Name.com: nsNxxx.name.com. */
const NAMECOM: DnsProvider = {
  id: 'namecom',
  name: 'Name.com',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'name.com → My Domains → <domain> → Manage DNS Records',
  fields: { type: 'Type', host: 'Host', value: 'Answer', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

/** Wix: ns0/ns1.wixdns.net. */
const WIX: DnsProvider = {
  id: 'wix',
  name: 'Wix',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'Wix → Domains → <domain> → ⋯ → Manage DNS Records',
  fields: { type: 'Type', host: 'Host Name', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

/** DreamHost: ns1–ns3.dreamhost.com. */
const DREAMHOST: DnsProvider = {
  id: 'dreamhost',
  name: 'DreamHost',
  hostField: 'relative',
  apex: '',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: false,
  where: 'DreamHost panel → Websites → <domain> → DNS → Add Record',
  fields: { type: 'Type', host: 'Name', value: 'Value', ttl: 'TTL' },
  notes: ['If the form has a separate priority field, put 10 there and only the server name in Value.'],
};

/** Hostinger: ns1/ns2.dns-parking.com. */
const HOSTINGER: DnsProvider = {
  id: 'hostinger',
  name: 'Hostinger',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: 'hPanel → Domains → <domain> → DNS / Nameservers → DNS records',
  fields: { type: 'Type', host: 'Name', value: 'Points to / Content', priority: 'Priority', ttl: 'TTL' },
  notes: [],
};

// --- not recognised -----------------------------------------------------------------------------------

/** NS not recognised (or several hosts at once): the safe spelling, with the other one explained. */
const OTHER: DnsProvider = {
  id: 'other',
  name: 'your DNS host',
  hostField: 'relative',
  apex: '@',
  appendsZone: true,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: "the DNS (zone) settings in that company's dashboard",
  fields: { type: 'Type', host: 'Host (before .<domain>)', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [
    'If the form wants full names (it shows no .<domain> after the name field), type each host followed by .<domain>.',
    'Most forms add the quotes to TXT values themselves; if yours wants zone-file syntax, put each TXT value in double quotes and end the CNAME and MX targets with a dot.',
    NO_PRIORITY_FIELD_HINT,
  ],
};

/** No NS at all (not delegated yet, or nothing could be asked): full names, the generic form. */
const UNKNOWN: DnsProvider = {
  id: 'unknown',
  name: 'your DNS host',
  hostField: 'fqdn',
  apex: '',
  appendsZone: false,
  txt: 'bare',
  targetDot: false,
  mxPriorityField: true,
  where: "the DNS settings where <domain>'s nameservers point (usually where it was bought, or the site's host)",
  fields: { type: 'Type', host: 'Name', value: 'Value', priority: 'Priority', ttl: 'TTL' },
  notes: [
    'Most forms add the quotes to TXT values themselves; if yours wants zone-file syntax, put each TXT value in double quotes and end the CNAME and MX targets with a dot.',
    NO_PRIORITY_FIELD_HINT,
  ],
};

/** Each known provider and the nameserver names that give it away (matched on the normalised name). */
const BY_NAMESERVER: readonly { provider: DnsProvider; nameservers: readonly RegExp[] }[] = [
  { provider: ROUTE53, nameservers: [/^ns-\d+\.awsdns-\d+\.(com|net|org|co\.uk)$/] },
  { provider: CLOUDFLARE, nameservers: [/\.ns\.cloudflare\.com$/] },
  { provider: GODADDY, nameservers: [/^(ns|pdns)\d+\.domaincontrol\.com$/, /^(c?ns|pdns)\d+\.secureserver\.net$/] },
  { provider: NAMECHEAP, nameservers: [/^p?dns\d+\.registrar-servers\.com$/] },
  { provider: SQUARESPACE, nameservers: [/\.squarespacedns\.com$/] },
  { provider: SQUARESPACE_FROM_GOOGLE, nameservers: [/^ns-cloud-[a-z]\d+\.googledomains\.com$/] },
  { provider: PORKBUN, nameservers: [/\.ns\.porkbun\.com$/] },
  { provider: DIGITALOCEAN, nameservers: [/^ns\d+\.digitalocean\.com$/] },
  { provider: VERCEL, nameservers: [/^ns\d+\.vercel-dns\.com$/] },
  { provider: NETLIFY, nameservers: [/^dns\d+\.p\d+\.nsone\.net$/] },
  { provider: GANDI, nameservers: [/^ns-\d+-[a-z]\.gandi\.net$/, /\.gandi\.net$/] },
  { provider: OVH, nameservers: [/^(dns|ns)\d*\.ovh\.(net|ca)$/, /^(dns|ns)\d+\.anycast\.me$/] },
  { provider: IONOS, nameservers: [/\.ui-dns\.(com|de|org|biz|net|co\.uk|es|fr|it)$/] },
  {
    provider: HETZNER,
    nameservers: [/\.ns\.hetzner\.(com|de)$/, /\.first-ns\.de$/, /\.second-ns\.(de|com)$/],
  },
  { provider: AZURE, nameservers: [/\.azure-dns\.(com|net|org|info)$/] },
  { provider: DNSIMPLE, nameservers: [/\.dnsimple(-edge)?\.(com|net|org)$/] },
  { provider: LINODE, nameservers: [/^ns\d+\.linode\.com$/] },
  { provider: HOVER, nameservers: [/^ns\d+\.hover\.com$/] },
  { provider: NAMECOM, nameservers: [/^ns\d+[a-z]*\.name\.com$/] },
  { provider: WIX, nameservers: [/\.wixdns\.net$/] },
  { provider: DREAMHOST, nameservers: [/^ns\d+\.dreamhost\.com$/] },
  { provider: HOSTINGER, nameservers: [/\.dns-parking\.com$/] },
];

/** Every provider this module knows, the 'other' and 'unknown' fallbacks last (for docs and tests). */
export const DNS_PROVIDERS: readonly DnsProvider[] = [
  ...new Set([...BY_NAMESERVER.map((entry) => entry.provider), OTHER, UNKNOWN]),
];

const normalize = (ns: string) => ns.trim().toLowerCase().replace(/\.+$/, '');

/** Second-level labels under which a country's registrable names sit one level deeper (example.co.uk). */
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'ac', 'gov', 'edu', 'ne', 'or', 'go']);

/** The registrable domain of a nameserver (ns1.example-dns.net → example-dns.net), without a suffix list. */
export function registrableDomain(host: string): string {
  const labels = normalize(host).split('.');
  const [sld = '', tld = ''] = labels.slice(-2);
  const take = labels.length >= 3 && tld.length === 2 && SECOND_LEVEL.has(sld) ? 3 : 2;
  return labels.slice(-take).join('.');
}

const listed = (items: readonly string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/**
 * The DNS host of a zone, from the names of its nameservers (as its NS records list them: any case,
 * with or without the final dot). All of one known provider → that provider; none → 'unknown';
 * anything else → 'other', named after what was seen.
 */
export function detectProvider(nameservers: readonly string[]): DnsProvider {
  const names = [...new Set(nameservers.map(normalize).filter((ns) => ns !== ''))];
  if (names.length === 0) return UNKNOWN;
  const seen = names.map((ns) => ({
    ns,
    provider: BY_NAMESERVER.find((entry) => entry.nameservers.some((re) => re.test(ns)))?.provider,
  }));
  const first = seen[0]?.provider;
  if (first && seen.every((s) => s.provider?.id === first.id)) return first;

  const hosts = [...new Set(seen.map((s) => s.provider?.name ?? registrableDomain(s.ns)))];
  // Unrecognised names on several domains may still be one company's: only a known one next to
  // something else is called more than one host.
  if (hosts.length === 1 || seen.every((s) => !s.provider)) {
    return { ...OTHER, name: `the DNS host at ${listed(hosts)}` };
  }
  return {
    ...OTHER,
    name: `more than one DNS host (${listed(hosts)})`,
    where: 'at each of them (every nameserver of <domain> must answer the same records)',
    notes: [
      `The nameservers of <domain> belong to ${listed(hosts)}. A resolver may ask any of them: add the records at each, or finish moving <domain> to one host and point all its nameservers there.`,
      ...OTHER.notes,
    ],
  };
}

/** The host as the provider's form wants it: the part before the zone, its apex spelling, or the full name. */
export function formHost(name: string, zone: string, provider: DnsProvider): string {
  if (provider.hostField === 'fqdn') return name;
  if (name === zone) return provider.apex === '' ? '(leave empty)' : provider.apex;
  return name.endsWith(`.${zone}`) ? name.slice(0, -(zone.length + 1)) : name;
}

/** The provider's name as a heading shows it; undefined for a DNS host not recognised. */
export const knownProviderName = (provider: DnsProvider): string | undefined =>
  provider.id === 'other' || provider.id === 'unknown' ? undefined : provider.name;
