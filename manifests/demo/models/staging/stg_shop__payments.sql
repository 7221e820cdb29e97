-- In the demo "broken" run (--vars '{steward_demo_broken: true}') this model
-- reads `payment_method_v2`, a column the upstream team announced but never
-- shipped, so the model fails with a Binder Error and everything downstream
-- of it is skipped.
select
    id                  as payment_id,
    order_id,
{%- if var('steward_demo_broken', false) %}
    payment_method_v2   as payment_method,
{%- else %}
    payment_method,
{%- endif %}
    status              as payment_status,
    amount / 100.0      as amount_usd,
    created_at          as paid_at
from {{ source('shop', 'payments') }}
