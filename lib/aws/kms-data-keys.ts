import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NexusRelayError } from '../errors.ts';
import type { DataKey, DataKeySource } from '../secret-box.ts';

/** Data keys from KMS, under the encryption context `{purpose}`: CloudTrail names it, and a grant may require it. */
export class KmsDataKeys implements DataKeySource {
  readonly #kms: KMSClient;
  readonly #context: Record<string, string>;

  constructor(
    private readonly keyArn: string,
    options: { region: string; purpose: string; kms?: KMSClient },
  ) {
    this.#kms = options.kms ?? new KMSClient({ region: options.region });
    this.#context = { purpose: options.purpose };
  }

  async generate(): Promise<DataKey> {
    const answer = await this.#kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyArn, KeySpec: 'AES_256', EncryptionContext: this.#context }),
    );
    if (!answer.Plaintext || !answer.CiphertextBlob)
      throw new NexusRelayError('KMS_NO_KEY', 'KMS answered GenerateDataKey without a key');
    return { plaintext: answer.Plaintext, encrypted: answer.CiphertextBlob };
  }

  async decrypt(encrypted: Uint8Array): Promise<Uint8Array> {
    const answer = await this.#kms.send(
      new DecryptCommand({ KeyId: this.keyArn, CiphertextBlob: encrypted, EncryptionContext: this.#context }),
    );
    if (!answer.Plaintext) throw new NexusRelayError('KMS_NO_KEY', 'KMS answered Decrypt without a key');
    return answer.Plaintext;
  }
}
