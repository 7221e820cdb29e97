-- Net revenue can never exceed gross revenue in a month.
select fiscal_month, gross_revenue_usd, net_revenue_usd
from {{ ref('fin_revenue_monthly') }}
where net_revenue_usd > gross_revenue_usd
