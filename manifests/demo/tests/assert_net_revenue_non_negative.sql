-- Net revenue for a day can never be negative: returns are only ever
-- subtracted from payments that were actually captured.
{{ config(
    severity='error',
    tags=['finance', 'tier1'],
    meta={'owner': 'ana@example.com'}
) }}

select
    revenue_date,
    net_revenue_usd
from {{ ref('fct_revenue') }}
where net_revenue_usd < 0
