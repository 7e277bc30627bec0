"""All models. Each feature keeps its tables in a module of its own and is imported here,
so that ``Base.metadata`` (used by Alembic and the tests) knows every table."""

from db.base import Base
from db.models.booking import Booking, BookingSlot, BookingStatus, Resource
from db.models.broadcasts import Broadcast, BroadcastDelivery, BroadcastStatus, DeliveryStatus
from db.models.consultations import (
    Consultation,
    ConsultationLink,
    ConsultationMessage,
    ConsultationTopic,
    ConsultStatus,
)
from db.models.core import AuditLog, ConsentLog, FsmState, User, UserStatus
from db.models.digest import DigestNews, NewsStatus
from db.models.events import Event, EventSignup, EventStatus, SignupStatus
from db.models.ideas import Idea, IdeaReview, IdeaStatus, IdeaSupport, IdeaUpdate
from db.models.jobs import JobLease
from db.models.notifications import Notification, NotificationStatus
from db.models.report import OfflineRecipients
from db.models.showcase import ServiceCard  # (registers the showcase tables)
from db.models.workspace import StaffTopic

__all__ = [
    "AuditLog",
    "Base",
    "Booking",
    "BookingSlot",
    "BookingStatus",
    "Broadcast",
    "BroadcastDelivery",
    "BroadcastStatus",
    "ConsentLog",
    "ConsultStatus",
    "Consultation",
    "ConsultationLink",
    "ConsultationMessage",
    "ConsultationTopic",
    "DeliveryStatus",
    "DigestNews",
    "Event",
    "EventSignup",
    "EventStatus",
    "FsmState",
    "Idea",
    "IdeaReview",
    "IdeaStatus",
    "IdeaSupport",
    "IdeaUpdate",
    "JobLease",
    "NewsStatus",
    "Notification",
    "NotificationStatus",
    "OfflineRecipients",
    "Resource",
    "ServiceCard",
    "SignupStatus",
    "StaffTopic",
    "User",
    "UserStatus",
]
