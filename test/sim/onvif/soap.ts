import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false, parseAttributeValue: false });

export interface SoapRequest {
  /** Local name of the first element in the Body, e.g. `GetProfiles`. */
  action: string;
  body: Record<string, unknown>;
  header: Record<string, unknown>;
}

/** Parses a SOAP 1.2 request; undefined when it is not one. */
export function parseSoapRequest(xml: string): SoapRequest | undefined {
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch {
    return undefined;
  }
  const envelope = record(record(doc)['Envelope']);
  const body = record(envelope['Body']);
  const action = Object.keys(body).find((k) => !k.startsWith('@_'));
  if (action === undefined) return undefined;
  return { action, body: record(body[action]), header: record(envelope['Header']) };
}

export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Text of an element that may carry attributes (`{ '#text': ..., '@_Type': ... }`). */
export function elementText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const text = record(value)['#text'];
  return typeof text === 'string' ? text : undefined;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as Record<string, string>)[c] ?? ''};`);
}

export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  d: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
};

export function envelope(body: string, header = ''): string {
  const xmlns = Object.entries(NS).map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`).join(' ');
  return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope ${xmlns}><env:Header>${header}</env:Header><env:Body>${body}</env:Body></env:Envelope>`;
}

/** A SOAP 1.2 fault the way ONVIF devices send them (ter: subcodes). */
export function fault(subcode: string, reason: string, code = 'env:Sender'): string {
  return envelope(
    `<env:Fault><env:Code><env:Value>${code}</env:Value><env:Subcode><env:Value>${subcode}</env:Value></env:Subcode></env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${escapeXml(reason)}</env:Text></env:Reason></env:Fault>`,
  );
}
