import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Deflate's preset dictionary for MX's transactions: every field MX documents (Nexus's read example, the Platform
 * API's, the relay's `pending_transaction_guid`) in MX's order, with their usual values. A body deflates to about 45 %
 * of what it does alone (BENCHMARKS.md section 8: the table's largest share of storage). Stored bodies need these exact
 * bytes to inflate: never edit it; a better dictionary is a new attribute beside `body_zd`. Code older than this module
 * cannot read `body_zd`: a rollback past it fails the syncs of entries written since.
 */
export const TRANSACTION_DICTIONARY = Buffer.from(
  JSON.stringify({
    account_guid: 'ACT-',
    amount: 33.88,
    amount_set_by: 1,
    amount_set_by_name: 'FEED',
    category_guid: 'CAT-',
    category_name: 'Office Supplies',
    category_set_by: 3,
    category_set_by_name: 'SYSTEM',
    check_number: null,
    check_number_set_by: null,
    check_number_set_by_name: null,
    check_number_string: null,
    created_at: '2022-06-14T21:17:10+00:00',
    currency_code: 'USD',
    currency_code_set_by: 1,
    currency_code_set_by_name: 'FEED',
    date: '2022-06-14',
    date_set_by: 1,
    date_set_by_name: 'FEED',
    description: 'Office Depot',
    description_set_by: 3,
    description_set_by_name: 'SYSTEM',
    extended_transaction_type: '',
    external_guid: '',
    feed_amount: 33.88,
    feed_check_number: null,
    feed_check_number_string: null,
    feed_currency_code: 'USD',
    feed_description: 'Office Depot',
    feed_is_international: null,
    feed_latitude: null,
    feed_longitude: null,
    feed_memo: null,
    feed_posted_at: '2022-06-15T12:00:00+00:00',
    feed_posted_on: '2022-06-15',
    feed_status: 1,
    feed_transacted_at: '2022-06-14T12:00:00+00:00',
    feed_transacted_on: '2022-06-14',
    feed_transaction_type: 2,
    feed_transaction_type_name: 'DEBIT',
    guid: 'TRN-',
    has_been_split: false,
    has_been_viewed: false,
    is_bill_pay: false,
    is_business: false,
    is_direct_deposit: false,
    is_expense: true,
    is_fee: false,
    is_flagged: false,
    is_hidden: false,
    is_income: false,
    is_international: null,
    is_international_set_by: null,
    is_international_set_by_name: null,
    is_overdraft_fee: false,
    is_payroll_advance: false,
    is_recurring: null,
    is_subscription: false,
    latitude: null,
    localized_description: null,
    localized_memo: null,
    longitude: null,
    member_guid: 'MBR-',
    member_is_managed_by_user: false,
    memo: null,
    merchant_category_code: 5411,
    merchant_guid: 'MCH-',
    merchant_location_guid: 'MCL-',
    metadata: null,
    original_description: '',
    pending_transaction_guid: 'TRN-',
    posted_at: '2026-01-02T12:00:00+00:00',
    status: 'POSTED',
    top_level_category_guid: 'CAT-',
    transacted_at: '2026-01-01T12:00:00+00:00',
    type: 'DEBIT',
    updated_at: '2026-01-02T12:00:00+00:00',
    user_guid: 'USR-',
  }),
);

// zlib's 16 KiB default output chunk is allocated whole for each body (400 bytes deflated, 1.5 KiB not); chunks under
// 4 KiB come from Node's buffer pool, and a larger body takes more of them.

/** MX's transaction body, deflated with the dictionary. */
export const deflateTransaction = (body: string): Buffer =>
  deflateRawSync(body, { dictionary: TRANSACTION_DICTIONARY, chunkSize: 1024 });

export const inflateTransaction = (deflated: Uint8Array): string =>
  inflateRawSync(deflated, { dictionary: TRANSACTION_DICTIONARY, chunkSize: 2048 }).toString('utf8');
