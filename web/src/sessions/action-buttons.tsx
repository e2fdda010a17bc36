// The Action column: one icon button per action the API offers on the session, with Segura's titles.

import type { ComponentType } from 'react';
import type { SessionAction, SessionItem } from '../api/wire';
import { BarsIcon, EyeIcon, KeyIcon, PlayIcon, PowerIcon, ProhibitedIcon } from '../components/icons';

/** Actions that open a window from the Action column ('block' lives inside Live Stream). */
export type WindowAction = Exclude<SessionAction, 'block'>;

/** Column order, icon and exact title/accessible name of each action. */
export const ACTION_BUTTONS: ReadonlyArray<{ action: WindowAction; title: string; Icon: ComponentType<{ size?: number }> }> = [
  { action: 'livestream', title: 'Live Stream', Icon: EyeIcon },
  { action: 'drop', title: 'Drop Session', Icon: PowerIcon },
  { action: 'logs', title: 'Session Logs', Icon: BarsIcon },
  { action: 'video', title: 'Session Video', Icon: PlayIcon },
  { action: 'preventPurge', title: 'Prevent Purge', Icon: ProhibitedIcon },
  { action: 'auditors', title: 'Configure Auditors', Icon: KeyIcon },
];

export interface ActionButtonsProps {
  session: Pick<SessionItem, 'id' | 'sessionId' | 'actions' | 'preventPurge'>;
  onAction: (action: WindowAction) => void;
}

export function ActionButtons({ session, onAction }: ActionButtonsProps) {
  const offered = new Set(session.actions);
  return (
    <div className="action-buttons">
      {ACTION_BUTTONS.filter((b) => offered.has(b.action)).map(({ action, title, Icon }) => (
        <button
          key={action}
          type="button"
          className={`icon-button action-${action}${action === 'preventPurge' && session.preventPurge ? ' is-on' : ''}`}
          title={title}
          aria-label={title}
          data-action={action}
          onClick={() => onAction(action)}
        >
          <Icon size={16} />
        </button>
      ))}
    </div>
  );
}
