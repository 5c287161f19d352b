/* Leaving kiosk mode: the invitee roster kept on this tablet for offline search is deleted. */
"use strict";
try { indexedDB.deleteDatabase("ikrar-kiosk-roster"); } catch (e) { /* storage disabled */ }
