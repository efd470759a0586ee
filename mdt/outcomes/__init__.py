"""Outcomes of the board's decisions: conversion, response, survival, complications and panel
agreement, per protocol and arm (issue "Outcomes").

Modules, each with one job (imported on use: the statistics pull in scipy and lifelines):

* ``ends``: the end of a patient's course derived from the follow-up events and decisions;
* ``settings``: the protocol's ``outcomes`` block (confirmation rule, what counts as
  conversion, reference arm, population, time origin) with defaults and validation;
* ``facts``: one patient's facts for the analysis (times, events, best response, ratings);
* ``stats``: exact proportions, odds ratio, Kaplan-Meier, log-rank, Cox, Fleiss' kappa;
* ``report``: the endpoint table per protocol, arm and overall (``mdt-outcomes/1``);
* ``figures``: the drawing model of the Kaplan-Meier, waterfall and swimmer figures, drawn by
  ``ui.outcomes`` (QPainter) and ``mdt.outcomes.pdf`` (reportlab) alike;
* ``export``: JSON, CSV and text renderings; ``pdf``: the outcomes report.
"""
