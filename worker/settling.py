"""Settling a job message with the broker, one way per outcome (worker/delivery.py names them):
ack (done, or retried: its copy is in the retry queue), reject (failed or not ours: the broker
dead-letters it), nack with requeue (handed back: the broker delivers it again)."""

import logging
from collections.abc import Awaitable

from aio_pika.abc import AbstractIncomingMessage

log = logging.getLogger(__name__)


async def ack(message: AbstractIncomingMessage) -> None:
    await _settle(message.ack())


async def dead_letter(message: AbstractIncomingMessage) -> None:
    await _settle(message.reject(requeue=False))


async def hand_back(message: AbstractIncomingMessage) -> None:
    await _settle(message.nack(requeue=True))


async def _settle(settling: Awaitable[None]) -> None:
    """When the channel is gone the broker delivers the job again: nothing to do here."""
    try:
        await settling
    except Exception as e:
        log.warning("could not settle the message (%r); the broker will deliver it again", e)
