import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KmsStandIn {
  /** For `AWS_ENDPOINT_URL_KMS`: the SDK's KMS client then calls this server. */
  url: string;
  keyArn: string;
  close(): Promise<void>;
}

/**
 * KMS's GenerateDataKey and Decrypt (its JSON protocol, as the SDK's KMSClient speaks it) over a master key held in
 * memory, the encryption context bound as GCM's additional data: what the relay's secret boxes ask of KMS, so a bench
 * counts their requests (`onRequest`, the operation's name) through the code that runs deployed.
 */
export async function startKmsStandIn(onRequest: (operation: string) => void): Promise<KmsStandIn> {
  const master = randomBytes(32);
  const keyArn = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';
  const aad = (context: unknown) => Buffer.from(JSON.stringify(context ?? {}));
  const seal = (plaintext: Buffer, context: unknown) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', master, iv).setAAD(aad(context));
    return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  };
  const open = (blob: Buffer, context: unknown) => {
    const decipher = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12)).setAAD(aad(context));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
  };
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target'] ?? '').replace('TrentService.', '');
      onRequest(operation);
      const body = JSON.parse(text || '{}') as { EncryptionContext?: unknown; CiphertextBlob?: string };
      let answer: Record<string, string>;
      try {
        if (operation === 'GenerateDataKey') {
          const plaintext = randomBytes(32);
          const blob = seal(plaintext, body.EncryptionContext);
          answer = { KeyId: keyArn, Plaintext: plaintext.toString('base64'), CiphertextBlob: blob.toString('base64') };
        } else if (operation === 'Decrypt') {
          const plaintext = open(Buffer.from(body.CiphertextBlob ?? '', 'base64'), body.EncryptionContext);
          answer = { KeyId: keyArn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
        } else {
          throw new Error(`KMS stand-in: no ${operation}`);
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'InvalidCiphertextException', message }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    keyArn,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
