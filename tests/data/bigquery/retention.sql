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

WITH jk_retention_groups AS (
  SELECT
    *
  FROM UNNEST(ARRAY<STRUCT<`cid` STRING, `persona` STRING>>[
    STRUCT('1001.1709200000', 'p2'),
    STRUCT('1002.1709210000', 'p1'),
    STRUCT('1003.1709220000', 'p2'),
    STRUCT('1004.1709230000', 'p1'),
    STRUCT('1005.1709240000', 'p2'),
    STRUCT('1006.1709250000', 'p1'),
    STRUCT('1007.1709260000', 'p2'),
    STRUCT('u-ana', 'p1'),
    STRUCT('u-ben', 'p2'),
    STRUCT('u-cara', 'p1'),
    STRUCT('u-dan', 'p2')
  ])
), jk_src AS (
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
    cid,
    TIMESTAMP_TRUNC(ts, DAY) AS per
  FROM (
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
  )
), coh0 AS (
  SELECT
    *
  FROM (
    SELECT
      cid,
      MIN(per) AS cohort
    FROM ev
    GROUP BY
      cid
  )
  WHERE
    NOT cohort IS NULL
), coh AS (
  SELECT
    c.cid,
    c.cohort,
    l.`persona` AS g0
  FROM coh0 AS c
  LEFT JOIN jk_retention_groups AS l
    ON c.cid = l.cid
), act AS (
  SELECT DISTINCT
    cid,
    per
  FROM ev
), ret AS (
  SELECT
    g0,
    c.cohort,
    DATE_DIFF(a.per, c.cohort, DAY) AS period,
    COUNT(*) AS customers
  FROM coh AS c
  JOIN act AS a
    ON c.cid = a.cid
  WHERE
    a.per > c.cohort
  GROUP BY ALL
), sizes AS (
  SELECT
    g0,
    cohort,
    COUNT(*) AS cohort_size
  FROM coh
  GROUP BY ALL
)
SELECT
  s.cohort,
  s.cohort_size,
  DATE_DIFF((
    SELECT
      MAX(per)
    FROM ev
  ), s.cohort, DAY) AS last_period,
  ARRAY_AGG(IF(NOT r.period IS NULL, STRUCT(r.period AS p, r.customers AS n), NULL) IGNORE NULLS) AS returned,
  s.g0
FROM sizes AS s
LEFT JOIN ret AS r
  ON s.g0 IS NOT DISTINCT FROM r.g0 AND s.cohort IS NOT DISTINCT FROM r.cohort
GROUP BY
  s.cohort,
  s.cohort_size,
  s.g0
ORDER BY
  s.g0 IS NULL,
  s.g0,
  s.cohort IS NULL,
  s.cohort;

