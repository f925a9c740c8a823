SELECT
  *
FROM (
  SELECT
    customer_id,
    timestamp,
    event,
    channel
  FROM (
    SELECT
      COALESCE(ga4_user, ga4_device) AS customer_id,
      timestamp,
      event,
      channel
    FROM (
      SELECT
        CASE
          WHEN LOWER(TRIM(user_id)) IN ('', '(not set)', 'null', 'none')
          THEN NULL
          ELSE TRIM(user_id)
        END AS ga4_user,
        CASE
          WHEN LOWER(TRIM(user_pseudo_id)) IN ('', '(not set)', 'null', 'none')
          THEN NULL
          ELSE TRIM(user_pseudo_id)
        END AS ga4_device,
        TIMESTAMP_MICROS(event_timestamp) AS timestamp,
        NULLIF(TRIM(event_name), '') AS event,
        CASE LOWER(TRIM(device.category))
          WHEN 'desktop'
          THEN 'web'
          WHEN 'mobile'
          THEN 'mobile'
          WHEN 'tablet'
          THEN 'mobile'
          WHEN 'smart tv'
          THEN 'web'
          ELSE NULLIF(LOWER(TRIM(device.category)), '')
        END AS channel
      FROM `my-project.analytics_123.events_*`
      WHERE
        _TABLE_SUFFIX BETWEEN '20240301' AND '20240303' AND NOT event_timestamp IS NULL
    )
  )
  WHERE
    NOT customer_id IS NULL AND NOT event IS NULL
);

SELECT
  *
FROM (
  SELECT
    CAST(`customer_id` AS STRING) AS `customer_id`,
    `timestamp` AS `timestamp`,
    CAST(`event` AS STRING) AS `event`,
    `channel` AS `channel`
  FROM (
    SELECT
      customer_id,
      timestamp,
      event,
      channel
    FROM (
      SELECT
        COALESCE(ga4_user, ga4_device) AS customer_id,
        timestamp,
        event,
        channel
      FROM (
        SELECT
          CASE
            WHEN LOWER(TRIM(user_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_id)
          END AS ga4_user,
          CASE
            WHEN LOWER(TRIM(user_pseudo_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_pseudo_id)
          END AS ga4_device,
          TIMESTAMP_MICROS(event_timestamp) AS timestamp,
          NULLIF(TRIM(event_name), '') AS event,
          CASE LOWER(TRIM(device.category))
            WHEN 'desktop'
            THEN 'web'
            WHEN 'mobile'
            THEN 'mobile'
            WHEN 'tablet'
            THEN 'mobile'
            WHEN 'smart tv'
            THEN 'web'
            ELSE NULLIF(LOWER(TRIM(device.category)), '')
          END AS channel
        FROM `my-project.analytics_123.events_*`
        WHERE
          _TABLE_SUFFIX BETWEEN '20240301' AND '20240303' AND NOT event_timestamp IS NULL
      )
    )
    WHERE
      NOT customer_id IS NULL AND NOT event IS NULL
  ) AS jk_table
);

WITH jk_src AS (
  SELECT
    CAST(`customer_id` AS STRING) AS `customer_id`,
    `timestamp` AS `timestamp`,
    CAST(`event` AS STRING) AS `event`,
    `channel` AS `channel`
  FROM (
    SELECT
      customer_id,
      timestamp,
      event,
      channel
    FROM (
      SELECT
        COALESCE(ga4_user, ga4_device) AS customer_id,
        timestamp,
        event,
        channel
      FROM (
        SELECT
          CASE
            WHEN LOWER(TRIM(user_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_id)
          END AS ga4_user,
          CASE
            WHEN LOWER(TRIM(user_pseudo_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_pseudo_id)
          END AS ga4_device,
          TIMESTAMP_MICROS(event_timestamp) AS timestamp,
          NULLIF(TRIM(event_name), '') AS event,
          CASE LOWER(TRIM(device.category))
            WHEN 'desktop'
            THEN 'web'
            WHEN 'mobile'
            THEN 'mobile'
            WHEN 'tablet'
            THEN 'mobile'
            WHEN 'smart tv'
            THEN 'web'
            ELSE NULLIF(LOWER(TRIM(device.category)), '')
          END AS channel
        FROM `my-project.analytics_123.events_*`
        WHERE
          _TABLE_SUFFIX BETWEEN '20240301' AND '20240303' AND NOT event_timestamp IS NULL
      )
    )
    WHERE
      NOT customer_id IS NULL AND NOT event IS NULL
  ) AS jk_table
), ev AS (
  SELECT
    *
  FROM (
    SELECT
      CAST(`customer_id` AS STRING) AS cid,
      CAST(`timestamp` AS TIMESTAMP) AS ts,
      CAST(`event` AS STRING) AS name
    FROM jk_src
    WHERE
      NOT `customer_id` IS NULL AND NOT `event` IS NULL
  )
  WHERE
    NOT ts IS NULL
), l AS (
  SELECT
    cid,
    ts,
    name,
    ROW_NUMBER() OVER (PARTITION BY cid ORDER BY ts IS NULL, ts, name IS NULL, name) AS rn,
    CASE
      WHEN LAG(ts) OVER (PARTITION BY cid ORDER BY ts IS NULL, ts, name IS NULL, name) IS NULL
      OR ts - LAG(ts) OVER (PARTITION BY cid ORDER BY ts IS NULL, ts, name IS NULL, name) > INTERVAL '1800000000' MICROSECOND
      THEN 1
      ELSE 0
    END AS `new`
  FROM ev
), sess AS (
  SELECT
    cid,
    ts,
    name,
    SUM(`new`) OVER (
      PARTITION BY cid
      ORDER BY rn IS NULL, rn
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS sid,
    rn - MAX(CASE WHEN `new` = 1 THEN rn END) OVER (
      PARTITION BY cid
      ORDER BY rn IS NULL, rn
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) + 1 AS pos
  FROM l
), b AS (
  SELECT
    cid,
    sid,
    name,
    pos,
    1 AS p0
  FROM sess
), k AS (
  SELECT
    cid,
    sid,
    name,
    pos - p0 + 1 AS j,
    pos - p0 = 4 AS tr
  FROM b
  WHERE
    NOT p0 IS NULL AND pos BETWEEN p0 AND p0 + 4
), ps AS (
  SELECT
    cid,
    ANY_VALUE(CASE WHEN j = 1 THEN name END IGNORE NULLS) AS e1,
    ANY_VALUE(CASE WHEN j = 2 THEN name END IGNORE NULLS) AS e2,
    ANY_VALUE(CASE WHEN j = 3 THEN name END IGNORE NULLS) AS e3,
    ANY_VALUE(CASE WHEN j = 4 THEN name END IGNORE NULLS) AS e4,
    LOGICAL_OR(tr) AS truncated
  FROM k
  GROUP BY
    cid,
    sid
), pc AS (
  SELECT
    e1,
    e2,
    e3,
    e4,
    truncated,
    cid,
    COUNT(*) AS n
  FROM ps
  GROUP BY ALL
)
SELECT
  IF(
    CAST(NOT e1 IS NULL AS INT64) + CAST(NOT e2 IS NULL AS INT64) + CAST(NOT e3 IS NULL AS INT64) + CAST(NOT e4 IS NULL AS INT64) = 0,
    [],
    ARRAY_SLICE(
      [e1, e2, e3, e4],
      0,
      IF(
        CAST(NOT e1 IS NULL AS INT64) + CAST(NOT e2 IS NULL AS INT64) + CAST(NOT e3 IS NULL AS INT64) + CAST(NOT e4 IS NULL AS INT64) > 0,
        CAST(NOT e1 IS NULL AS INT64) + CAST(NOT e2 IS NULL AS INT64) + CAST(NOT e3 IS NULL AS INT64) + CAST(NOT e4 IS NULL AS INT64) - 1,
        CAST(NOT e1 IS NULL AS INT64) + CAST(NOT e2 IS NULL AS INT64) + CAST(NOT e3 IS NULL AS INT64) + CAST(NOT e4 IS NULL AS INT64)
      )
    )
  ) AS evs,
  truncated,
  SUM(n) AS sessions,
  COUNT(*) AS customers,
  SUM(SUM(n)) OVER () AS total
FROM pc
GROUP BY
  e1,
  e2,
  e3,
  e4,
  truncated
ORDER BY
  sessions DESC,
  evs IS NULL,
  ARRAY_TO_STRING(evs, '\x01'),
  truncated IS NULL,
  truncated
LIMIT 20;

