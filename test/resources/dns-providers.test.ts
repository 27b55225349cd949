import { describe, expect, it } from 'vitest';
import { DNS_PROVIDERS, detectProvider, registrableDomain } from '../../src/resources/dns/providers.js';

/** NS sets as the providers hand them out (taken from their help pages and public zones). */
const nameserversOf: Record<string, string[]> = {
  route53: ['ns-1536.awsdns-00.co.uk', 'ns-0.awsdns-00.com', 'ns-1024.awsdns-00.org', 'ns-512.awsdns-00.net'],
  cloudflare: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
  godaddy: ['ns51.domaincontrol.com', 'ns52.domaincontrol.com'],
  namecheap: ['dns1.registrar-servers.com', 'dns2.registrar-servers.com'],
  squarespace: ['nsa1.squarespacedns.com', 'nsb1.squarespacedns.com', 'nsc1.squarespacedns.com'],
  porkbun: ['curitiba.ns.porkbun.com', 'fortaleza.ns.porkbun.com', 'maceio.ns.porkbun.com', 'salvador.ns.porkbun.com'],
  digitalocean: ['ns1.digitalocean.com', 'ns2.digitalocean.com', 'ns3.digitalocean.com'],
  vercel: ['ns1.vercel-dns.com', 'ns2.vercel-dns.com'],
  netlify: ['dns1.p05.nsone.net', 'dns2.p05.nsone.net', 'dns3.p05.nsone.net', 'dns4.p05.nsone.net'],
  gandi: ['ns-151-a.gandi.net', 'ns-64-b.gandi.net', 'ns-122-c.gandi.net'],
  ovh: ['dns110.ovh.net', 'ns110.ovh.net'],
  ionos: ['ns1045.ui-dns.com', 'ns1101.ui-dns.org', 'ns1013.ui-dns.biz', 'ns1061.ui-dns.de'],
  hetzner: ['hydrogen.ns.hetzner.com', 'oxygen.ns.hetzner.com', 'helium.ns.hetzner.de'],
  azure: ['ns1-01.azure-dns.com', 'ns2-01.azure-dns.net', 'ns3-01.azure-dns.org', 'ns4-01.azure-dns.info'],
  dnsimple: ['ns1.dnsimple.com', 'ns2.dnsimple-edge.net', 'ns3.dnsimple.com', 'ns4.dnsimple-edge.org'],
  linode: ['ns1.linode.com', 'ns2.linode.com', 'ns3.linode.com', 'ns4.linode.com', 'ns5.linode.com'],
  hover: ['ns1.hover.com', 'ns2.hover.com'],
  namecom: ['ns1qsy.name.com', 'ns2fkr.name.com', 'ns3hpx.name.com', 'ns4gdz.name.com'],
  wix: ['ns0.wixdns.net', 'ns1.wixdns.net'],
  dreamhost: ['ns1.dreamhost.com', 'ns2.dreamhost.com', 'ns3.dreamhost.com'],
  hostinger: ['ns1.dns-parking.com', 'ns2.dns-parking.com'],
};

describe('the DNS provider, told from the zone NS records', () => {
  it.each(Object.entries(nameserversOf))('is %s from its own nameservers', (id, nameservers) => {
    // WHEN
    const provider = detectProvider(nameservers);
    // THEN
    expect(provider.id).toBe(id);
  });

  it('knows a provider for every NS set above, and every provider but the fallbacks has one', () => {
    const known = DNS_PROVIDERS.map((p) => p.id).filter((id) => id !== 'other' && id !== 'unknown');
    expect(new Set(known)).toEqual(new Set(Object.keys(nameserversOf)));
  });

  it('is the same whatever the case and with the final dot the NS records carry', () => {
    // WHEN
    const provider = detectProvider(['ADA.NS.CLOUDFLARE.COM.', ' Bob.Ns.Cloudflare.com. ']);
    // THEN
    expect(provider.id).toBe('cloudflare');
  });

  it("finds GoDaddy's premium and older servers, and Namecheap's PremiumDNS", () => {
    expect(detectProvider(['pdns01.domaincontrol.com', 'pdns02.domaincontrol.com']).id).toBe('godaddy');
    expect(detectProvider(['ns1.secureserver.net', 'ns2.secureserver.net']).id).toBe('godaddy');
    expect(detectProvider(['pdns1.registrar-servers.com', 'pdns2.registrar-servers.com']).id).toBe('namecheap');
  });

  it('sends a Google Domains name to Squarespace and says Google Cloud DNS uses the same servers', () => {
    // WHEN
    const provider = detectProvider(['ns-cloud-c1.googledomains.com', 'ns-cloud-c2.googledomains.com']);
    // THEN
    expect(provider.id).toBe('squarespace');
    expect(provider.name).toContain('Google Domains');
    expect(provider.notes.join(' ')).toContain('Google Cloud DNS');
  });

  it('is Squarespace for its ns01–ns04 servers as well', () => {
    expect(detectProvider(['ns01.squarespacedns.com', 'ns02.squarespacedns.com']).id).toBe('squarespace');
  });

  it('is "other" for a set that mixes two providers, naming both', () => {
    // WHEN
    const provider = detectProvider(['ada.ns.cloudflare.com', 'ns-512.awsdns-00.net']);
    // THEN
    expect(provider.id).toBe('other');
    expect(provider.name).toBe('more than one DNS host (Cloudflare and Amazon Route 53)');
    expect(provider.notes[0]).toContain('add the records at each');
    expect(provider.notes.slice(1)).toEqual(detectProvider(['ns1.example-dns.net']).notes);
  });

  it('is "other" for a known provider next to a server it does not know', () => {
    // WHEN
    const provider = detectProvider(['ns1.digitalocean.com', 'ns1.example-dns.net']);
    // THEN
    expect(provider.id).toBe('other');
    expect(provider.name).toBe('more than one DNS host (DigitalOcean and example-dns.net)');
  });

  it('names an unknown host after the registrable domain of its nameservers', () => {
    // WHEN
    const provider = detectProvider(['ns1.example-dns.net.', 'NS2.example-dns.net']);
    // THEN
    expect(provider.id).toBe('other');
    expect(provider.name).toBe('the DNS host at example-dns.net');
    expect(provider.hostField).toBe('relative');
    expect(provider.appendsZone).toBe(true);
  });

  it('does not call unknown servers on two domains "more than one host"', () => {
    expect(detectProvider(['ns1.example-dns.net', 'ns2.example-dns.org']).name).toBe(
      'the DNS host at example-dns.net and example-dns.org',
    );
  });

  it('is "unknown", with fully qualified names, when there are no nameservers', () => {
    for (const nameservers of [[], [''], ['  ', '.']]) {
      // WHEN
      const provider = detectProvider(nameservers);
      // THEN
      expect(provider.id).toBe('unknown');
      expect(provider.hostField).toBe('fqdn');
    }
  });

  it('does not take a look-alike name for the provider', () => {
    expect(detectProvider(['ada.ns.cloudflare.com.evil.example']).id).toBe('other');
    expect(detectProvider(['ns1.notdomaincontrol.com']).id).toBe('other');
    expect(detectProvider(['ns-1.awsdns-01.com.example.net']).id).toBe('other');
  });
});

describe('the registrable domain of a nameserver', () => {
  it('is its last two labels, or three under a country code like co.uk', () => {
    expect(registrableDomain('ns1.example-dns.net.')).toBe('example-dns.net');
    expect(registrableDomain('dns2.hosting.co.uk')).toBe('hosting.co.uk');
    expect(registrableDomain('a.b.ns.example.io')).toBe('example.io');
  });
});

describe('the forms', () => {
  it('spell the SES records as each provider documents it', () => {
    const form = (id: string) => DNS_PROVIDERS.find((p) => p.id === id);
    expect(form('cloudflare')).toMatchObject({ txt: 'bare', mxPriorityField: true, targetDot: false });
    expect(form('cloudflare')?.proxy).toContain('DNS only');
    expect(form('route53')).toMatchObject({ txt: 'quoted', mxPriorityField: false, appendsZone: true, apex: '' });
    expect(form('godaddy')).toMatchObject({ hostField: 'relative', appendsZone: true, txt: 'bare' });
    expect(form('namecheap')).toMatchObject({ hostField: 'relative', appendsZone: true, mxPriorityField: true });
    expect(form('hetzner')).toMatchObject({ targetDot: true, txt: 'quoted', mxPriorityField: false });
  });
});
