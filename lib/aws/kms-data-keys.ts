import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { DataKey, DataKeySource } from '../notify/secret-box.ts';

/** Data keys from KMS: generated under `keyArn` (AES_256), decrypted only with that key named. */
export class KmsDataKeys implements DataKeySource {
  readonly #kms: KMSClient;

  constructor(
    private readonly keyArn: string,
    options: { region: string; kms?: KMSClient },
  ) {
    this.#kms = options.kms ?? new KMSClient({ region: options.region });
  }

  async generate(): Promise<DataKey> {
    const answer = await this.#kms.send(new GenerateDataKeyCommand({ KeyId: this.keyArn, KeySpec: 'AES_256' }));
    if (!answer.Plaintext || !answer.CiphertextBlob) throw new Error('KMS answered GenerateDataKey without a key');
    return { plaintext: answer.Plaintext, encrypted: answer.CiphertextBlob };
  }

  async decrypt(encrypted: Uint8Array): Promise<Uint8Array> {
    const answer = await this.#kms.send(new DecryptCommand({ KeyId: this.keyArn, CiphertextBlob: encrypted }));
    if (!answer.Plaintext) throw new Error('KMS answered Decrypt without a key');
    return answer.Plaintext;
  }
}
